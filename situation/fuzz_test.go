package situation_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dost-az/dost/situation"
)

// FuzzDecodeSituation feeds arbitrary bodies to the situation decoder and
// calculates, traces and answers whatever it accepts: none of it may
// panic, an accepted situation must calculate or fail with an error, and
// an answer must be valid JSON.
func FuzzDecodeSituation(f *testing.F) {
	rs := exampleRules(f)
	for _, seed := range []string{
		`{"persons": {"p1": {"birth_date": {"ETERNITY": "1958-03-01"}, "sex": {"ETERNITY": "female"}, "insured_years": {"2026-11": 30}, "old_age_pension": {"2026-11": null}}}}`,
		`{"persons": {"a": {"salary": {"2025-11": 400}}, "b": {}}, "households": {"h": {"members": ["a", "b"], "head": "b", "roles": {"a": "child"}, "tssa_amount": {"2026-11": null}, "owns_vehicle": {"2026-11": true}}}}`,
		`{"persons": {"p1": {"age": {"2026-11": null, "1900-01": null}, "birth_date": {"eternity": null}}}}`,
		`{"persons": {"p1": {"disability_allowance": {"2000-01": null}}}}`,
		`{"persons": {"p1": {"insured_years": {"2026-11": 1e300}, "salary": {"2026-11": -0.01}}}}`,
		`{"persons": {"p1": {"insured_years": {"2026-11": 70, "2026-10": 71, "2026-09": -0}, "salary": {"2026-11": 0}, "age": {"2026-11": null}}}}`,
		`{"persons": {"p1": {}}, "households": {"h": {"members": ["p1", "p1", "p2"], "head": 3, "roles": []}}}`,
		`{"persons": [], "households": null}`,
		`{"persons": {"p1": {"sex": {"ETERNITY": "male", "2026": "x"}}}, "x": 1}`,
		`null`, `[]`, `{}`, `{"persons": {"": {"": {"": null}}}}`,
		// Malformed JSON.
		`{"persons": {"p1": {}},}`, `{"persons" {}}`, `{"a": [1, 2,]}`, `{"a": 01}`, `{"a": -}`, `{"a": 1.}`,
		`{"a": 1e}`, `{"a": tru}`, `{"a": "\x"}`, `{"a": "\u12G4"}`, "{\"a\": \"\x01\"}", `{"a": [}`, `{} {}`, ``, ` `,
		`{"a": "\u00e9\n", "b": [true, false, null, -0.5e+3, 0, 12E-2]}`, "{\"\xff\": \"\xfe\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// The decoder's own syntax check is json.Valid's, and a malformed
		// body gets the same error as when json.Valid made it.
		valid := json.Valid(body)
		if got := situation.ValidJSON(body); got != valid {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", body, got, valid)
		}
		sit, err := situation.Decode(rs, body)
		if !valid && err != situation.ErrNotObject {
			t.Fatalf("Decode(%q) of malformed JSON: got %v, want %v", body, err, situation.ErrNotObject)
		}
		if err != nil {
			return
		}
		traces, err := sit.Calculate(rs, true)
		if err != nil {
			return
		}
		for _, tr := range traces {
			if tr == nil {
				t.Fatalf("Calculate(%q) returned a nil trace", body)
			}
		}
		out, err := sit.AppendJSON(nil)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("the answer is not valid JSON: %s", out)
		}
	})
}

// TestValidJSON compares validJSON with json.Valid, including the nesting
// limit.
func TestValidJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, s := range []string{
		``, ` `, `1`, `-0`, `-01`, `0.5`, `.5`, `1e5`, `1E+5`, `1e-`, `-`, `"`, `"a`, `"\u00"`, `"\uD800"`, `"\/"`,
		`true`, `tru`, `truex`, `nul`, `null `, ` {}`, `{} `, `{`, `}`, `[`, `]`, `[1 2]`, `[,]`, `[1,]`,
		`{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{1:2}`, `{"a":1 "b":2}`, `{"a" : [ 1 , { } , [ ] ] }`,
		"\t\r\n[ ]\n", "[\v]", "\"\x1f\"", "\"\x7f\xff\"", `[{"a":[{"b":{}}]}]`,
		deep(situation.MaxJSONDepth), deep(situation.MaxJSONDepth + 1),
		`{"a":` + deep(situation.MaxJSONDepth-1) + `}`, `{"a":` + deep(situation.MaxJSONDepth) + `}`,
	} {
		if got, want := situation.ValidJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", s, got, want)
		}
	}
}
