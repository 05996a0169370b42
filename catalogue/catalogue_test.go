package catalogue_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
)

// services returns the shipped catalogue or stops the test.
func services(t *testing.T) []*dost.Service {
	t.Helper()
	s, err := catalogue.Services()
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	return s
}

func TestServices(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		all := services(t)
		if got, want := len(all), 45; got < want {
			t.Fatalf("got %d services, want at least %d", got, want)
		}
		for _, s := range all {
			if err := s.Validate(); err != nil {
				t.Errorf("%s: %v", s.Code, err)
			}
		}
	})

	t.Run("OrderedUniqueCodes", func(t *testing.T) {
		all := services(t)
		for i := 1; i < len(all); i++ {
			if all[i-1].Code >= all[i].Code {
				t.Errorf("codes out of order or repeated: %s then %s", all[i-1].Code, all[i].Code)
			}
		}
	})

	t.Run("EveryCategory", func(t *testing.T) {
		count := map[dost.Category]int{}
		for _, s := range services(t) {
			if got, want := s.Category, dost.CategoryOfCode(s.Code); got != want {
				t.Errorf("%s: category %q, want %q", s.Code, got, want)
			}
			count[s.Category]++
		}
		for _, c := range dost.Categories {
			if count[c] == 0 {
				t.Errorf("category %s has no service", c)
			}
		}
		t.Logf("services per category: %v", count)
	})

	t.Run("CompletePassports", func(t *testing.T) {
		for _, s := range services(t) {
			texts := map[string]dost.Text{
				"name": s.Name, "description": s.Description, "performing_unit": s.PerformingUnit,
				"legal_basis": s.LegalBasis, "ministry_unit": s.MinistryUnit, "place": s.Place,
			}
			for _, d := range s.Documents {
				texts["document "+d.Code] = d.Name
			}
			for _, r := range s.RefusalReasons {
				texts["refusal "+r.Code] = r.Text
			}
			for i, st := range s.Steps {
				texts["step "+string(rune('1'+i))] = st
			}
			for field, tx := range texts {
				if !tx.Complete() {
					t.Errorf("%s: %s is not in az, en and ru: %+v", s.Code, field, tx)
				}
				if tx.AZ != "" && tx.AZ == tx.EN || tx.RU != "" && tx.RU == tx.EN {
					t.Errorf("%s: %s is not translated: %+v", s.Code, field, tx)
				}
				if tx.RU != "" && !hasScript(tx.RU, unicode.Cyrillic) {
					t.Errorf("%s: %s: Russian text %q has no Cyrillic letter", s.Code, field, tx.RU)
				}
			}
			if n := len(s.RefusalReasons); n < 2 || n > 4 {
				t.Errorf("%s: %d refusal reasons, want 2 to 4", s.Code, n)
			}
			if n := len(s.Steps); n < 3 || n > 6 {
				t.Errorf("%s: %d steps, want 3 to 6", s.Code, n)
			}
			if len(s.Documents) == 0 || len(s.AnswerChannels) == 0 || len(s.CommunicationChannels) == 0 ||
				len(s.Users) == 0 || len(s.InformationSystems) == 0 {
				t.Errorf("%s: a list field of the passport is empty", s.Code)
			}
			if s.Fee != 0 {
				t.Errorf("%s: fee %s, want 0", s.Code, s.Fee)
			}
			if got, want := s.TotalMinutes, s.FrontOfficeMinutes+s.BackOfficeMinutes; got != want || got == 0 {
				t.Errorf("%s: total minutes %d, want %d (and not 0)", s.Code, got, want)
			}
			if s.FrontOfficeMinutes < 5 || s.FrontOfficeMinutes > 20 {
				t.Errorf("%s: front-office minutes %d, want 5 to 20", s.Code, s.FrontOfficeMinutes)
			}
			if !s.Active {
				t.Errorf("%s: not active", s.Code)
			}
		}
	})

	// Most Azerbaijani texts must use letters only Azerbaijani has; a text
	// without any is likely an English copy.
	t.Run("AzerbaijaniLetters", func(t *testing.T) {
		all := services(t)
		without := 0
		for _, s := range all {
			if !strings.ContainsAny(s.Name.AZ+s.Description.AZ, "əƏşŞçÇğĞıİöÖüÜ") {
				without++
				t.Logf("%s: no Azerbaijani letter in %q", s.Code, s.Name.AZ)
			}
		}
		if without > len(all)/10 {
			t.Errorf("got %d of %d services without Azerbaijani letters, want at most %d", without, len(all), len(all)/10)
		}
	})

	t.Run("AssignmentModes", func(t *testing.T) {
		proactive := map[string]bool{}
		for _, s := range services(t) {
			if s.AssignmentMode == dost.ModeProactive {
				proactive[s.Code] = true
				if s.DeadlineDays != 10 {
					t.Errorf("%s: proactive benefit deadline %d days, want 10", s.Code, s.DeadlineDays)
				}
			}
			if s.Category == dost.CategoryCertificates && (s.AssignmentMode != dost.ModeNone || s.DeadlineDays != 0) {
				t.Errorf("%s: certificate with mode %s and deadline %d, want none and 0", s.Code, s.AssignmentMode, s.DeadlineDays)
			}
		}
		for _, code := range []string{"05-01-01-00", "05-02-01-00", "03-03-01-00"} { // old-age pension, birth and disability allowances
			if !proactive[code] {
				t.Errorf("%s is not proactive", code)
			}
		}
	})

	// Services returns copies: what one caller changes, the next does not see.
	t.Run("Copies", func(t *testing.T) {
		a := services(t)
		a[0].Name.EN = "changed"
		a[0].Steps[0].EN = "changed"
		b := services(t)
		if b[0].Name.EN == "changed" || b[0].Steps[0].EN == "changed" {
			t.Error("a change to one result shows in the next")
		}
	})
}

func TestCategories(t *testing.T) {
	cats := catalogue.Categories()
	if got, want := len(cats), len(dost.Categories); got != want {
		t.Fatalf("got %d categories, want %d", got, want)
	}
	for i, c := range cats {
		if c.Number != i+1 || c.Category != dost.Categories[i] {
			t.Errorf("categories[%d] = %d %s, want %d %s", i, c.Number, c.Category, i+1, dost.Categories[i])
		}
		if !c.Name.Complete() {
			t.Errorf("%s: name not in az, en and ru", c.Category)
		}
		if got, want := dost.CategoryOfCode(c.Prefix()+"-01-01-00"), c.Category; got != want {
			t.Errorf("prefix %q names category %q, want %q", c.Prefix(), got, want)
		}
	}
}

func TestQueueGroups(t *testing.T) {
	groups := map[string]bool{}
	for _, g := range catalogue.QueueGroups() {
		if len(g.Letter) != 1 || g.Letter[0] < 'A' || g.Letter[0] > 'Z' {
			t.Errorf("letter %q is not one capital letter", g.Letter)
		}
		if groups[g.Letter] {
			t.Errorf("letter %s used twice", g.Letter)
		}
		groups[g.Letter] = true
		if !g.Name.Complete() {
			t.Errorf("%s: name not in az, en and ru", g.Letter)
		}
	}
	used := map[string]bool{}
	for _, s := range services(t) {
		used[s.QueueGroup] = true
		if !groups[s.QueueGroup] {
			t.Errorf("%s: queue group %q has no QueueGroups entry", s.Code, s.QueueGroup)
		}
	}
	for g := range groups {
		if !used[g] {
			t.Errorf("queue group %s serves no service", g)
		}
	}
}

// TestLoad feeds the loader broken files and checks that the error names
// the service and the field.
func TestLoad(t *testing.T) {
	const common = `{"texts": {"unit": {"az": "Mərkəz", "en": "Centre", "ru": "Центр"}},
		"documents": {"id_card": {"az": "Şəxsiyyət vəsiqəsi", "en": "Identity card", "ru": "Удостоверение личности"}},
		"refusal_reasons": {"not_eligible": {"az": "Şərtlərə cavab vermir", "en": "Not eligible", "ru": "Не отвечает условиям"}},
		"steps": {"ticket": {"az": "Bilet götürün", "en": "Take a ticket", "ru": "Возьмите талон"}},
		"defaults": {"performing_unit": "unit", "place": "unit", "users": ["citizens"], "communication_channels": ["phone"]}}`
	service := func(code, extra string) string {
		return `{"services": [{"code": "` + code + `", "queue_group": "C",
			"name": {"az": "Arayış", "en": "Certificate", "ru": "Справка"},
			"description": {"az": "Arayış verilir.", "en": "A certificate is issued.", "ru": "Выдаётся справка."},
			"legal_basis": "unit", "ministry_unit": "unit",
			"request_channels": ["in_person"], "answer_channels": ["in_person"],
			"refusal_reasons": ["not_eligible"], "documents": ["id_card"], "steps": ["ticket", "ticket", "ticket"],
			"information_systems": ["MEIS"], "electronic_delivery": "full", "automation": "full",
			"assignment_mode": "none", "front_office_minutes": 5` + extra + `}]}`
	}
	load := func(files map[string]string) error {
		fsys := fstest.MapFS{"data/common.json": {Data: []byte(common)}}
		for name, data := range files {
			fsys["data/"+name] = &fstest.MapFile{Data: []byte(data)}
		}
		_, err := catalogue.Load(fsys)
		return err
	}

	t.Run("OK", func(t *testing.T) {
		if err := load(map[string]string{"01.json": service("01-01-01-00", "")}); err != nil {
			t.Fatal(err)
		}
	})
	for name, tc := range map[string]struct {
		files map[string]string
		want  []string // substrings of the error
	}{
		"ErrUnknownDocument": {map[string]string{"01.json": strings.Replace(service("01-01-01-00", ""), `["id_card"]`, `["passport"]`, 1)},
			[]string{"01-01-01-00", "documents[0]", "passport"}},
		"ErrUnknownField":    {map[string]string{"01.json": service("01-01-01-00", `, "fee_azn": 5`)}, []string{"01.json", "fee_azn"}},
		"ErrNegativeMinutes": {map[string]string{"01.json": service("01-01-01-00", `, "back_office_minutes": -5`)}, []string{"01-01-01-00", "total_minutes"}},
		"ErrQueueGroup":      {map[string]string{"01.json": strings.Replace(service("01-01-01-00", ""), `"C"`, `"Q"`, 1)}, []string{"01-01-01-00", "queue_group"}},
		"ErrBadCode":         {map[string]string{"01.json": service("11-01-01-00", "")}, []string{"11-01-01-00", "code"}},
		"ErrDuplicateCode": {map[string]string{"01.json": service("01-01-01-00", ""), "02.json": service("01-01-01-00", "")},
			[]string{"01-01-01-00", "already used"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := load(tc.files)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// hasScript reports whether s has a letter of the script.
func hasScript(s string, script *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(script, r) {
			return true
		}
	}
	return false
}
