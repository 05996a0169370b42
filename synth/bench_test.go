package synth_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dost-az/dost/synth"
)

// BenchmarkGenerate measures generating domain records, per person.
func BenchmarkGenerate(b *testing.B) {
	const n = 100_000
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		err := synth.Generate(synth.Options{Persons: n, Seed: 1}, func(*synth.Household) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/person")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/person")
}

// BenchmarkWriteCSV measures writing the CSV files, per person: 1,000,000
// persons, or as many as DOST_BENCH_PERSONS says.
func BenchmarkWriteCSV(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("DOST_BENCH_PERSONS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := synth.WriteCSV(dir, synth.Options{Persons: n, Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/person")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/person")
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
