package casework

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/programmes/az"
)

// pdfHeader starts a (tiny) PDF file.
var pdfHeader = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n")

// TestMessages checks that every message is in az, en and ru and that the
// three use the same arguments.
func TestMessages(t *testing.T) {
	verb := regexp.MustCompile(`%\[\d+\][sd]`)
	for key, m := range messages {
		if !m.Complete() {
			t.Errorf("%s: not in all three languages: %+v", key, m)
			continue
		}
		args := func(s string) []string {
			vs := verb.FindAllString(s, -1)
			slices.Sort(vs)
			return slices.Compact(vs)
		}
		want := args(m.EN)
		for lang, s := range map[string]string{"az": m.AZ, "ru": m.RU} {
			if got := args(s); !slices.Equal(got, want) {
				t.Errorf("%s.%s: arguments %v, want %v as in en", key, lang, got, want)
			}
		}
		if strings.Count(m.EN, "%") != len(verb.FindAllString(m.EN, -1)) {
			t.Errorf("%s: a verb without an explicit index: %q", key, m.EN)
		}
	}
	got := say("en", "decision.approved.monthly", "A-2026-0000042", "Old-age labour pension", dost.Money(34976).String(), "2026-11")
	if want := "Your application A-2026-0000042 for Old-age labour pension was approved: 349.76 AZN per month from 2026-11."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := say("xx", "late.subject", "A-1"); got != "Gecikən müraciət A-1" {
		t.Errorf("unknown language: got %q, want the az text", got)
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{"": "", "No right": "No right.", "No right. ": "No right.", "Why?": "Why?"} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestToPerson(t *testing.T) {
	now := time.Date(2026, 11, 16, 5, 30, 0, 0, time.UTC)
	p := &dost.Person{ID: 7, Phone: "+994501234567", Email: "a@example.az", Language: "ru"}
	ns := toPerson(p, "decision:1.4", "decision.approved", "subj", "body", now)
	if len(ns) != 2 {
		t.Fatalf("got %d notifications, want 2", len(ns))
	}
	if n := ns[0]; n.MessageID != "decision:1.4:sms" || n.Channel != dost.NotifySMS || n.To != p.Phone || n.Subject != "" || n.Language != "ru" || n.PersonID != 7 {
		t.Errorf("sms = %+v", n)
	}
	if n := ns[1]; n.MessageID != "decision:1.4:email" || n.Channel != dost.NotifyEmail || n.To != p.Email || n.Subject != "subj" {
		t.Errorf("email = %+v", n)
	}
	if ns := toPerson(&dost.Person{ID: 8, Language: "fr"}, "x", "t", "s", "b", now); len(ns) != 0 {
		t.Errorf("no phone or e-mail: got %d notifications, want 0", len(ns))
	}
}

func TestNewAward(t *testing.T) {
	now := time.Now()
	nov := dost.Month{Year: 2026, Month: time.November}
	progs := map[string]*dost.Programme{}
	for _, p := range az.Programmes() {
		progs[p.Code] = &p
	}
	t.Run("MonthlyOpenEnded", func(t *testing.T) {
		w := newAward(progs["old_age_pension"], 5, 9, 5, nov, dost.MustDate("2026-11-05"), 34976, now)
		if w.PersonID != 5 || w.HouseholdID != 0 || w.PayeeID != 5 || w.Kind != dost.AwardMonthly || w.Amount != 34976 ||
			w.Start != dost.MustDate("2026-11-05") || !w.End.IsZero() || w.Status != dost.AwardActive || w.Period != nov || w.ServiceCode != "05-01-01-00" {
			t.Errorf("got %+v", w)
		}
	})
	t.Run("TSSAOneYear", func(t *testing.T) {
		w := newAward(progs["tssa"], 5, 9, 5, nov, nov.First(), 24000, now)
		if w.HouseholdID != 9 || w.PersonID != 0 || w.End != dost.MustDate("2027-10-31") {
			t.Errorf("got household %d person %d end %s, want 9, 0, 2027-10-31", w.HouseholdID, w.PersonID, w.End)
		}
	})
	t.Run("TSSAHouseholdOfOne", func(t *testing.T) {
		w := newAward(progs["tssa"], 5, 0, 5, nov, nov.First(), 24000, now)
		if w.HouseholdID != 0 || w.PersonID != 5 {
			t.Errorf("got household %d person %d, want 0, 5", w.HouseholdID, w.PersonID)
		}
	})
	t.Run("UnemploymentSixMonths", func(t *testing.T) {
		w := newAward(progs["unemployment_benefit"], 5, 0, 5, nov, dost.MustDate("2026-11-01"), 20000, now)
		if w.End != dost.MustDate("2027-04-30") {
			t.Errorf("end %s, want 2027-04-30", w.End)
		}
	})
	t.Run("OneOff", func(t *testing.T) {
		w := newAward(progs["birth_allowance"], 12, 9, 11, nov, nov.First(), 60000, now)
		if w.Kind != dost.AwardOneOff || !w.End.IsZero() || w.PersonID != 12 || w.PayeeID != 11 {
			t.Errorf("got %+v", w)
		}
	})
}

func TestCheckDocument(t *testing.T) {
	svc := &dost.Service{Code: "05-01-01-00", Documents: []dost.Document{
		{Code: "id_card", Required: true}, {Code: "labour_book"},
	}}
	codes := func(fs []dost.FieldError) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Field+":"+f.Code)
		}
		return out
	}
	t.Run("OK", func(t *testing.T) {
		d, fs := checkDocument(svc, dost.ApplicationOnline, dost.NewDocument{Code: "id_card", FileName: "id.pdf", Content: pdfHeader})
		if len(fs) > 0 {
			t.Fatal(fs)
		}
		if d.ContentType != "application/pdf" || d.Size != int64(len(pdfHeader)) || len(d.SHA256) != 64 || d.FileName != "id.pdf" {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("Presented", func(t *testing.T) {
		d, fs := checkDocument(svc, dost.ApplicationAtCentre, dost.NewDocument{Code: "id_card", Presented: true})
		if len(fs) > 0 || !d.Presented {
			t.Errorf("got %+v, %v", d, fs)
		}
	})
	for name, c := range map[string]struct {
		ch   dost.ApplicationChannel
		doc  dost.NewDocument
		want []string
	}{
		"ErrUnknownCode":         {dost.ApplicationOnline, dost.NewDocument{Code: "passport", Content: pdfHeader}, []string{"code:document.unknown"}},
		"ErrPresentedOnline":     {dost.ApplicationOnline, dost.NewDocument{Code: "id_card", Presented: true}, []string{"presented:document.presented_not_at_centre"}},
		"ErrPresentedWithFile":   {dost.ApplicationAtCentre, dost.NewDocument{Code: "id_card", Presented: true, Content: pdfHeader}, []string{"presented:document.presented_with_file"}},
		"ErrNotAPDF":             {dost.ApplicationOnline, dost.NewDocument{Code: "id_card", FileName: "id.pdf", Content: []byte("just text, named .pdf")}, []string{"file:file.type_not_allowed"}},
		"ErrEmpty":               {dost.ApplicationOnline, dost.NewDocument{Code: "id_card"}, []string{"file:file.empty"}},
		"ErrTooLarge":            {dost.ApplicationOnline, dost.NewDocument{Code: "id_card", Content: append(slices.Clone(pdfHeader), make([]byte, dost.MaxDocumentSize)...)}, []string{"file:file.too_large"}},
		"ErrFileNameWithSlash":   {dost.ApplicationOnline, dost.NewDocument{Code: "id_card", FileName: "../id.pdf", Content: pdfHeader}, []string{"file_name:file_name.invalid"}},
		"ErrFileNameWithControl": {dost.ApplicationOnline, dost.NewDocument{Code: "id_card", FileName: "id\x00.pdf", Content: pdfHeader}, []string{"file_name:file_name.invalid"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, fs := checkDocument(svc, c.ch, c.doc)
			if got := codes(fs); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestCheckPeriod(t *testing.T) {
	s := &Service{byService: map[string]*dost.Programme{}}
	for _, p := range az.Programmes() {
		s.byService[p.ServiceCode] = &p
	}
	s.byService["99-00-00-00"] = &dost.Programme{Code: "none", BackPayMonths: 0}
	now := dost.Month{Year: 2026, Month: time.November}
	for _, c := range []struct {
		service string
		period  dost.Month
		ok      bool
	}{
		{"05-01-01-00", now, true},
		{"05-01-01-00", now.Add(-36), true},
		{"05-01-01-00", now.Add(-37), false}, // pensions are paid back 3 years
		{"05-02-01-00", now.Add(-120), true}, // the birth allowance without limit
		{"03-03-01-00", now.Add(-37), false}, // every other programme 3 years
		{"05-02-03-00", now.Add(-36), true},
		{"05-01-01-00", now.Add(FutureMonths), true},
		{"05-01-01-00", now.Add(FutureMonths + 1), false},
		{"01-01-01-00", now.Add(-200), true}, // no programme, no limit
		{"99-00-00-00", now, true},           // 0: no back pay
		{"99-00-00-00", now.Add(-1), false},
		{"05-01-01-00", dost.Month{Year: 2026, Month: 13}, false},
	} {
		var v dost.Validation
		s.checkPeriod(&v, c.service, c.period, now)
		if ok := len(v.Fields) == 0; ok != c.ok {
			t.Errorf("%s %s: ok %v, want %v (%v)", c.service, c.period, ok, c.ok, v.Fields)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	nov := dost.Month{Year: 2026, Month: time.November}
	if got := (&ProactiveRequest{Programme: "old_age_pension", PersonID: 42, Period: nov}).idempotencyKey(); got != "proactive:old_age_pension:p42:2026-11" {
		t.Errorf("person: got %s", got)
	}
	if got := (&ProactiveRequest{Programme: "tssa", HouseholdID: 7, Period: nov}).idempotencyKey(); got != "proactive:tssa:h7:2026-11" {
		t.Errorf("household: got %s", got)
	}
}

func TestMayRead(t *testing.T) {
	me := int64(3)
	citizen := &dost.User{Roles: []dost.Role{dost.RoleCitizen}, PersonID: &me}
	staff := &dost.User{Roles: []dost.Role{dost.RoleCitizen, dost.RoleCaseWorker}}
	if !mayRead(citizen, &dost.Application{PersonID: 3}) || mayRead(citizen, &dost.Application{PersonID: 4}) || !mayRead(staff, &dost.Application{PersonID: 4}) {
		t.Error("mayRead is wrong")
	}
}
