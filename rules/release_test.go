package rules_test

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"sync"
	"testing"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

// renderTrace returns the JSON and text renderings of tr.
func renderTrace(t *testing.T, tr *rules.Trace) []byte {
	t.Helper()
	js, err := tr.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := tr.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	return append(js, text.Bytes()...)
}

// TestTraceRelease checks that the memory of released traces and Results,
// reused by later calculations of other households, changes neither those
// calculations' traces and Results nor a trace or Result that was kept.
func TestTraceRelease(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	p := mustPeriod(t, "2026-11")
	vars := computed(rs)
	rng := rand.New(rand.NewSource(3))
	var sits []*rules.Situation
	var want, wantRes [][]byte
	for i := range 8 {
		s := goldenHousehold()
		if i > 0 {
			s = randomAZHousehold(rng, p)
		}
		// Each reference comes from a rule set of its own, whose pool
		// has never held a trace.
		fresh, err := az.RuleSet()
		if err != nil {
			t.Fatal(err)
		}
		res, tr, err := fresh.Calculate(s, p, vars)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(res)
		sits, want, wantRes = append(sits, s), append(want, renderTrace(t, tr)), append(wantRes, js)
	}
	keptRes, kept, err := rs.Calculate(sits[0], p, vars)
	if err != nil {
		t.Fatal(err)
	}
	keptResJSON, _ := json.Marshal(keptRes)
	var released []*rules.Result // kept after their traces were released
	var releasedJSON [][]byte
	for k := range 40 {
		i := (k * 5) % len(sits)
		res, tr, err := rs.Calculate(sits[i], p, vars)
		if err != nil {
			t.Fatal(err)
		}
		if got := renderTrace(t, tr); !bytes.Equal(got, want[i]) {
			t.Fatalf("calculation %d (household %d): the trace differs from a fresh rule set's", k, i)
		}
		js, _ := json.Marshal(res)
		if !bytes.Equal(js, wantRes[i]) {
			t.Fatalf("calculation %d (household %d): the Result differs from a fresh rule set's", k, i)
		}
		if k%2 == 0 {
			// Kept: it must outlive its trace.
			released, releasedJSON = append(released, res), append(releasedJSON, js)
		} else {
			res.Release()
			res.Release()
			if res.Values != nil {
				t.Fatal("a released Result still has its values")
			}
			// The same values without a trace, in memory just released.
			plain, err := rs.CalculateValues(sits[i], p, vars)
			if err != nil {
				t.Fatal(err)
			}
			if js, _ := json.Marshal(plain); !bytes.Equal(js, wantRes[i]) {
				t.Fatalf("calculation %d (household %d): CalculateValues differs from Calculate", k, i)
			}
			plain.Release()
		}
		tr.Release()
		tr.Release() // a second Release does nothing
		if tr.Roots != nil {
			t.Fatal("a released trace still has its roots")
		}
	}
	if got := renderTrace(t, kept); !bytes.Equal(got, want[0]) {
		t.Error("a trace kept while others were released changed")
	}
	if got, _ := json.Marshal(keptRes); !bytes.Equal(got, keptResJSON) {
		t.Error("the Result of a kept trace changed")
	}
	for k, res := range released {
		if got, _ := json.Marshal(res); !bytes.Equal(got, releasedJSON[k]) {
			t.Errorf("kept Result %d changed", k)
		}
	}
	var zero rules.Trace
	zero.Release() // a Trace not from Calculate has nothing to release
	var zeroRes rules.Result
	zeroRes.Release()
}

// TestTraceReleaseConcurrent calculates and releases traces and Results
// from several goroutines on one rule set (the pools are shared) and
// checks each against one computed alone; run it with -race.
func TestTraceReleaseConcurrent(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	p := mustPeriod(t, "2026-11")
	vars := computed(rs)
	rng := rand.New(rand.NewSource(4))
	var sits []*rules.Situation
	var want, wantRes [][]byte
	for range 16 {
		s := randomAZHousehold(rng, p)
		res, tr, err := rs.Calculate(s, p, vars)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(res)
		sits, want, wantRes = append(sits, s), append(want, renderTrace(t, tr)), append(wantRes, js)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 50 {
				i := (k*7 + g*3) % len(sits)
				res, tr, err := rs.Calculate(sits[i], p, vars)
				if err != nil {
					t.Error(err)
					return
				}
				resJSON, _ := json.Marshal(res)
				res.Release()
				if !bytes.Equal(resJSON, wantRes[i]) {
					t.Errorf("household %d: the Result differs from the one computed alone", i)
					return
				}
				js, err := tr.JSON()
				if err != nil {
					t.Error(err)
					return
				}
				var text bytes.Buffer
				if err := tr.WriteText(&text); err != nil {
					t.Error(err)
					return
				}
				tr.Release()
				if got := append(js, text.Bytes()...); !bytes.Equal(got, want[i]) {
					t.Errorf("household %d: the trace differs from the one computed alone", i)
					return
				}
			}
		})
	}
	wg.Wait()
}
