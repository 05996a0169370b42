package http

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/dost-az/dost/rules"
)

// FuzzDecodeSituation feeds arbitrary bodies to the situation decoder and
// calculates, traces and answers whatever it accepts: none of it may
// panic, an accepted situation must calculate or fail with an error, and
// an answer must be valid JSON.
func FuzzDecodeSituation(f *testing.F) {
	rs, err := rules.Load(os.DirFS("../rules/testdata/example"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"persons": {"p1": {"birth_date": {"ETERNITY": "1958-03-01"}, "sex": {"ETERNITY": "female"}, "insured_years": {"2026-11": 30}, "old_age_pension": {"2026-11": null}}}}`,
		`{"persons": {"a": {"salary": {"2025-11": 400}}, "b": {}}, "households": {"h": {"members": ["a", "b"], "head": "b", "roles": {"a": "child"}, "tssa_amount": {"2026-11": null}, "owns_vehicle": {"2026-11": true}}}}`,
		`{"persons": {"p1": {"age": {"2026-11": null, "1900-01": null}, "birth_date": {"eternity": null}}}}`,
		`{"persons": {"p1": {"disability_allowance": {"2000-01": null}}}}`,
		`{"persons": {"p1": {"insured_years": {"2026-11": 1e300}, "salary": {"2026-11": -0.01}}}}`,
		`{"persons": {"p1": {}}, "households": {"h": {"members": ["p1", "p1", "p2"], "head": 3, "roles": []}}}`,
		`{"persons": [], "households": null}`,
		`{"persons": {"p1": {"sex": {"ETERNITY": "male", "2026": "x"}}}, "x": 1}`,
		`null`, `[]`, `{}`, `{"persons": {"": {"": {"": null}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sit, err := decodeSituation(rs, body)
		if err != nil {
			return
		}
		traces, err := calculate(rs, sit, true)
		if err != nil {
			return
		}
		out, err := sit.appendJSON(nil)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("the answer is not valid JSON: %s", out)
		}
		entries := map[string]*traceEntry{}
		for _, tr := range traces {
			for _, n := range tr.Roots {
				_ = addTrace(rs, entries, n)
			}
		}
	})
}
