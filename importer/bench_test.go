package importer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dost-az/dost/importer"
	"github.com/dost-az/dost/synth"
)

// BenchmarkParsePersonsCSV parses a persons.csv of 1,000,000 rows written by
// synth.
func BenchmarkParsePersonsCSV(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	if err := synth.WriteCSV(dir, synth.Options{Persons: n, Seed: 1}, nil); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, synth.PersonsFile))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		batch, err := importer.Parser{Today: synth.DefaultToday}.Parse(importer.Persons, bytes.NewReader(data), importer.CSV)
		if err != nil {
			b.Fatal(err)
		}
		if len(batch.Persons) != n {
			b.Fatalf("got %d persons", len(batch.Persons))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/row")
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
