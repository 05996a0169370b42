package az_test

import (
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

// TestProgrammes checks every programme against the rule set (its
// variables exist with the right type, entity and period) and the
// catalogue (its service exists).
func TestProgrammes(t *testing.T) {
	rs := ruleSet(t)
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]*dost.Service{}
	for _, s := range services {
		byCode[s.Code] = s
	}
	progs := az.Programmes()
	if len(progs) != 7 {
		t.Errorf("got %d programmes, want 7", len(progs))
	}
	codes, serviceCodes := map[string]bool{}, map[string]bool{}
	for _, p := range progs {
		t.Run(p.Code, func(t *testing.T) {
			if codes[p.Code] {
				t.Errorf("programme code %s twice", p.Code)
			}
			codes[p.Code] = true
			if serviceCodes[p.ServiceCode] {
				t.Errorf("service %s opens two programmes", p.ServiceCode)
			}
			serviceCodes[p.ServiceCode] = true
			if byCode[p.ServiceCode] == nil {
				t.Errorf("service %s is not in the catalogue", p.ServiceCode)
			}
			if !p.Name.Complete() {
				t.Errorf("name %+v is not in az, en and ru", p.Name)
			}
			var entity rules.Entity
			switch p.Entity {
			case "person":
				entity = rules.Person
			case "household":
				entity = rules.Household
			default:
				t.Fatalf("entity %q, want person or household", p.Entity)
			}
			if p.Kind != dost.AwardMonthly && p.Kind != dost.AwardOneOff {
				t.Errorf("kind %q", p.Kind)
			}
			// The reference: back pay up to 3 years, the birth
			// allowance without limit.
			wantBackPay := 36
			if p.Code == "birth_allowance" {
				wantBackPay = -1
			}
			if p.BackPayMonths != wantBackPay || p.DurationMonths < 0 {
				t.Errorf("back pay %d, duration %d: want %d, >= 0", p.BackPayMonths, p.DurationMonths, wantBackPay)
			}
			check := func(name string, typ rules.Type) {
				v, ok := rs.Variable(name)
				if !ok {
					t.Fatalf("variable %s is not in the rule set", name)
				}
				if v.Type != typ || v.Entity != entity || v.Period != rules.Month {
					t.Errorf("variable %s is %s %s per %s, want %s %s per month", name, v.Entity, v.Type, v.Period, entity, typ)
				}
				if v.IsInput() {
					t.Errorf("variable %s is an input, want a formula", name)
				}
			}
			check(p.Amount, rules.Money)
			if p.Eligible != "" {
				check(p.Eligible, rules.Bool)
			}
		})
	}
	if p := progs[0]; p.Code != "old_age_pension" || p.BackPayMonths != 36 || p.Eligible != "old_age_pension_eligible" {
		t.Errorf("old_age_pension = %+v", p)
	}
	progs[0].Code = "changed"
	if az.Programmes()[0].Code != "old_age_pension" {
		t.Error("Programmes shares its slice between calls")
	}
}

func TestVersion(t *testing.T) {
	v := az.Version()
	if !regexp.MustCompile(`^az-[0-9a-f]{12}$`).MatchString(v) {
		t.Fatalf("Version() = %q, want az- and 12 hex digits", v)
	}
	if az.Version() != v {
		t.Error("Version() changed between calls")
	}
	h, err := az.HashFS(az.FS())
	if err != nil {
		t.Fatal(err)
	}
	if "az-"+h[:12] != v {
		t.Errorf("Version() = %s, hash of FS() = %s", v, h)
	}
}

func TestHashFS(t *testing.T) {
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"parameters/pension.yaml": {Data: []byte("minimum: 349.76\n")},
			"variables/pension.yaml":  {Data: []byte("age: {}\n")},
			"tests/pension.yaml":      {Data: []byte("- name: one\n")},
		}
	}
	hash := func(fsys fstest.MapFS) string {
		t.Helper()
		h, err := az.HashFS(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := hash(base())
	if len(want) != 64 {
		t.Fatalf("hash %q, want 64 hex digits", want)
	}
	t.Run("Stable", func(t *testing.T) {
		if got := hash(base()); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	changes := map[string]func(fstest.MapFS){
		"Content": func(f fstest.MapFS) {
			f["parameters/pension.yaml"] = &fstest.MapFile{Data: []byte("minimum: 349.77\n")}
		},
		"Rename": func(f fstest.MapFS) {
			f["parameters/pension2.yaml"] = f["parameters/pension.yaml"]
			delete(f, "parameters/pension.yaml")
		},
		"Added":   func(f fstest.MapFS) { f["variables/tssa.yaml"] = &fstest.MapFile{Data: []byte("x: {}\n")} },
		"Removed": func(f fstest.MapFS) { delete(f, "tests/pension.yaml") },
		// Moving bytes from one file to the next keeps the concatenation
		// but must change the hash.
		"Boundary": func(f fstest.MapFS) {
			f["tests/pension.yaml"] = &fstest.MapFile{Data: []byte("- name: one")}
			f["variables/pension.yaml"] = &fstest.MapFile{Data: []byte("\nage: {}\n")}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			f := base()
			change(f)
			if got := hash(f); got == want {
				t.Errorf("hash unchanged after the change: %s", got)
			}
		})
	}
}
