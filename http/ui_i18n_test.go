package http

import (
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/dost-az/dost"
)

// TestUI checks the start-up parse: every view exists and renders from
// one set per language.
func TestUI(t *testing.T) {
	u, err := newUI()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range dost.Languages {
		for _, view := range views {
			if u.templates[lang][view] == nil {
				t.Errorf("no template for view %s in %s", view, lang)
			}
		}
	}
	if _, err := u.staticURL("vendor/htmx.min.js"); err != nil {
		t.Errorf("vendored htmx is missing: %v", err)
	}
}

// TestMessages checks the message catalogue: every language has the same
// keys, plural keys have exactly the forms their language's rule needs,
// every key a template uses exists, and every value of the domain's
// enumerations the templates translate has a text.
func TestMessages(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("SameKeys", func(t *testing.T) {
		// base keys: plural families collapse to their base.
		bases := map[string]map[string]bool{}
		for _, lang := range dost.Languages {
			bases[lang] = map[string]bool{}
			for key := range msgs[lang] {
				bases[lang][pluralBase(key)] = true
			}
		}
		for _, a := range dost.Languages {
			for _, b := range dost.Languages {
				for key := range bases[a] {
					if !bases[b][key] {
						t.Errorf("key %q is in %s.json but not in %s.json", key, a, b)
					}
				}
			}
		}
	})

	t.Run("PluralForms", func(t *testing.T) {
		for _, lang := range dost.Languages {
			for key := range msgs[lang] {
				base := pluralBase(key)
				if base == key {
					continue
				}
				if form := key[len(base)+1:]; !slices.Contains(pluralForms(lang), form) {
					t.Errorf("%s.json: %q: %s has no plural form %q", lang, key, lang, form)
				}
				for _, form := range pluralForms(lang) {
					if _, ok := msgs[lang][base+":"+form]; !ok {
						t.Errorf("%s.json: plural %q lacks form %q", lang, base, form)
					}
				}
			}
		}
	})

	u, err := newUI()
	if err != nil {
		t.Fatal(err)
	}
	used, prefixes := templateKeys(t, u)

	t.Run("TemplateKeys", func(t *testing.T) {
		if len(used) < 50 {
			t.Fatalf("found %d keys in the templates; the scan is broken", len(used))
		}
		for key, plural := range used {
			for _, lang := range dost.Languages {
				if plural {
					for _, form := range pluralForms(lang) {
						if _, ok := msgs[lang][key+":"+form]; !ok {
							t.Errorf("templates use plural %q; %s.json lacks %q", key, lang, key+":"+form)
						}
					}
				} else if _, ok := msgs[lang][key]; !ok {
					t.Errorf("templates use %q; %s.json lacks it", key, lang)
				}
			}
		}
	})

	// The templates build some keys from a prefix and a value of the
	// domain: {{t (print "category." .Category)}}. Each such prefix must be
	// listed here with all its values.
	families := map[string][]string{
		"category.":          strs(dost.Categories),
		"channel.":           strs([]dost.Channel{dost.ChannelInPerson, dost.ChannelCallCentre, dost.ChannelOnline, dost.ChannelMail}),
		"comm.":              {"phone", "email", "sms", "portal"},
		"users.":             {"citizens", "foreigners_permanent", "stateless_permanent", "entrepreneurs", "legal_entities"},
		"degree.electronic.": strs([]dost.Degree{dost.DegreeFull, dost.DegreePartial, dost.DegreeNone}),
		"degree.automation.": strs([]dost.Degree{dost.DegreeFull, dost.DegreePartial, dost.DegreeNone}),
		"mode.":              strs([]dost.AssignmentMode{dost.ModeProactive, dost.ModeOnApplication, dost.ModeNone}),
		"lang.name.":         dost.Languages,
		"role.":              append(strs(dost.StaffRoles), string(dost.RoleCitizen), string(dost.RoleRegistry)),
		"sex.":               strs([]dost.Sex{dost.SexMale, dost.SexFemale}),
		"status.":            strs([]dost.PersonStatus{dost.PersonAlive, dost.PersonDeceased}),
		"household.role.":    strs([]dost.HouseholdRole{dost.RoleHead, dost.RoleSpouse, dost.RoleChild, dost.RoleParent, dost.RoleOther}),
		"income.source.":     strs(dost.IncomeSources),
		"disability.degree.": strs([]dost.DisabilityDegree{dost.DisabilityI, dost.DisabilityII, dost.DisabilityIII, dost.DisabilityChild}),
		"disability.cause.":  strs([]dost.DisabilityCause{dost.CauseGeneral, dost.CauseWar, dost.CauseWorkInjury, dost.CauseOccupational, dost.CauseChildhood}),
		"error.":             {dost.EINVALID, dost.ENOTFOUND, dost.ECONFLICT, dost.EUNAUTHORIZED, dost.EFORBIDDEN, dost.EINTERNAL, codeRateLimited, codeUnavailable},
		// keys chosen by handlers, rendered with {{t .Error}}
		"persons.error.": {"fin", "birth_date"},
		"signin.error.":  {"missing", "invalid", "locked"},
		// the application pages (ui_applications.go, ui_verify.go)
		"application.status.":  strs(dost.ApplicationStatuses),
		"application.action.":  append(strs(dost.ApplicationActions), "submit"),
		"application.reason.":  strs(slices.Collect(maps.Keys(actionReasons))),
		"application.channel.": strs([]dost.ApplicationChannel{dost.ApplicationAtCentre, dost.ApplicationOnline, dost.ApplicationByCallCentre, dost.ApplicationProactive}),
		"award.kind.":          strs([]dost.AwardKind{dost.AwardMonthly, dost.AwardOneOff}),
		"award.status.":        strs([]dost.AwardStatus{dost.AwardActive, dost.AwardSuspended, dost.AwardEnded}),
		"decision.outcome.":    strs([]dost.DecisionOutcome{dost.DecisionApproved, dost.DecisionRefused}),
		"form.error.":          append(slices.Clone(formErrorCodes), "invalid", "document.file_or_presented"),
		"form.alert.":          {"invalid", "conflict", "forbidden"},
		"open.error.":          {"upload", "key"},
		"deadlines.error.":     {"date", "range", "centre"},
		"decide.":              {"assess_failed"},
		"decide.manual.kind.":  strs([]dost.AwardKind{dost.AwardMonthly, dost.AwardOneOff}),
		"queue.scope.":         {queueScopeCertified, queueScopeCentre, queueScopeMine},
		"verify.error.":        {"format"},
		// the hall's pages (ui_hall.go); reasons and alerts are chosen by
		// the handlers
		"hall.priority.":        strs(dost.PriorityGroups),
		"hall.status.":          strs(dost.TicketStatuses),
		"hall.feedback.rating.": {"1", "2", "3", "4", "5"},
		"hall.feedback.error.":  {"not_finished", "exists", "rating"},
		"hall.kiosk.error.":     hallKioskErrors(),
		"hall.alert.":           hallAlerts(),
		"hall.reason.":          {"by_number", "priority", "appointment", "longest_wait", "waited", "passed", "among"},
		// the booking page (ui_hall_book.go)
		"hall.book.weekday.":  {"0", "1", "2", "3", "4", "5", "6"},
		"hall.book.error.":    append(slices.Clone(bookErrorCodes), "day", "start.required", "name", "phone"),
		"hall.booked.status.": strs([]dost.AppointmentStatus{dost.AppointmentBooked, dost.AppointmentCancelled, dost.AppointmentCheckedIn, dost.AppointmentLapsed}),
		// the audit trail's page (ui_audit.go)
		"audit.action.": strs(dost.AuditActions),
		// the training pages (ui_training.go)
		"training.done.":   {"created", "saved", "recorded", "certified"},
		"training.status.": {dost.StaffingOK, dost.StaffingExpiring, dost.StaffingShort, dost.StaffingNone},
		"training.error.":  trainingFieldCodes,
	}
	t.Run("KeyFamilies", func(t *testing.T) {
		for prefix := range prefixes {
			if _, ok := families[prefix]; !ok {
				t.Errorf("templates build keys from prefix %q; list its values in this test", prefix)
			}
		}
		for prefix, values := range families {
			for _, v := range values {
				key := prefix + v
				if prefix == "error." {
					key += ".title"
				}
				for _, lang := range dost.Languages {
					if _, ok := msgs[lang][key]; !ok {
						t.Errorf("%s.json lacks %q", lang, key)
					}
					if prefix == "error." {
						if _, ok := msgs[lang]["error."+v+".text"]; !ok {
							t.Errorf("%s.json lacks %q", lang, "error."+v+".text")
						}
					}
				}
			}
		}
	})
}

// TestPluralForm checks the plural rules against CLDR examples.
func TestPluralForm(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"},
		{"az", 1, "one"}, {"az", 5, "other"},
		{"ru", 1, "one"}, {"ru", 21, "one"}, {"ru", 11, "many"}, {"ru", 2, "few"},
		{"ru", 24, "few"}, {"ru", 12, "many"}, {"ru", 5, "many"}, {"ru", 0, "many"}, {"ru", 111, "many"},
	} {
		if got := pluralForm(tc.lang, tc.n); got != tc.want {
			t.Errorf("pluralForm(%q, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestRequestLang checks how the UI language is chosen.
func TestRequestLang(t *testing.T) {
	s := NewServer()
	for _, tc := range []struct {
		name, query, cookie, accept, want string
		setsCookie                        bool
	}{
		{name: "Default", want: "az"},
		{name: "Query", query: "ru", cookie: "en", accept: "en", want: "ru", setsCookie: true},
		{name: "BadQueryFallsToCookie", query: "de", cookie: "en", want: "en"},
		{name: "Cookie", cookie: "en", accept: "ru", want: "en"},
		{name: "AcceptLanguage", accept: "ru-RU,ru;q=0.9,en;q=0.8", want: "ru"},
		{name: "AcceptLanguageWeights", accept: "de;q=1, en;q=0.5", want: "en"},
		{name: "AcceptLanguageUnknown", accept: "de, fr", want: "az"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/?lang="+tc.query, nil)
			if tc.cookie != "" {
				r.Header.Set("Cookie", LangCookie+"="+tc.cookie)
			}
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			w := httptest.NewRecorder()
			if got := s.requestLang(w, r); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			set := strings.Contains(w.Header().Get("Set-Cookie"), LangCookie+"="+tc.want)
			if set != tc.setsCookie {
				t.Errorf("Set-Cookie %q, want a %s cookie: %v", w.Header().Get("Set-Cookie"), LangCookie, tc.setsCookie)
			}
		})
	}
}

// TestLocalPath checks that sign-in only redirects within the site.
func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/persons?fin=1AB":   "/persons?fin=1AB",
		"/":                  "/",
		"":                   "",
		"//evil.example/x":   "",
		"/\\evil.example":    "",
		"https://evil.test":  "",
		"persons":            "",
		"/\t/evil.example/x": "",
		"/\n/evil.example/x": "",
		"/\x00/evil.example": "",
		"/\x7f/evil.example": "",
		"/ok?x=1":            "/ok?x=1",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

// pluralBase returns key without a plural-form suffix.
func pluralBase(key string) string {
	b, _, _ := strings.Cut(key, ":")
	return b
}

// templateKeys walks every parsed template and returns the message keys
// it uses literally (true for plural keys) and the prefixes of keys it
// builds with print.
func templateKeys(t *testing.T, u *ui) (used map[string]bool, prefixes map[string]bool) {
	t.Helper()
	used, prefixes = map[string]bool{}, map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "tn") && len(n.Args) > 1 {
				switch arg := n.Args[1].(type) {
				case *parse.StringNode:
					used[arg.Text] = id.Ident == "tn"
				case *parse.PipeNode:
					cmd := arg.Cmds[0]
					if fn, ok := cmd.Args[0].(*parse.IdentifierNode); ok && fn.Ident == "print" {
						if s, ok := cmd.Args[1].(*parse.StringNode); ok {
							prefixes[s.Text] = true
						}
					}
				default:
					// {{t .Error}}: a key chosen by a handler; the
					// KeyFamilies table lists those.
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, view := range views {
		for _, tmpl := range u.templates["en"][view].Templates() {
			if tmpl.Tree != nil {
				walk(tmpl.Tree.Root)
			}
		}
	}
	return used, prefixes
}

// strs converts a slice of string-kinded values to strings.
func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
