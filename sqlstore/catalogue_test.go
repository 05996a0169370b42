package sqlstore_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// service returns a valid passport.
func service(code string, name string, mode dost.AssignmentMode, channels ...dost.Channel) *dost.Service {
	t := func(s string) dost.Text { return dost.Text{AZ: s + " (az)", EN: s, RU: s + " (ru)"} }
	return &dost.Service{
		Code: code, Category: dost.CategoryOfCode(code), Name: dost.Text{AZ: name + " təyinatı", EN: name, RU: name + " назначение"},
		Description: t("description"), PerformingUnit: t("unit"), LegalBasis: t("law"),
		RequestChannels: channels, AnswerChannels: []dost.Channel{dost.ChannelOnline},
		Documents:    []dost.Document{{Code: "id_card", Name: t("ID card"), Required: true}},
		Steps:        []dost.Text{t("step")},
		TotalMinutes: 30, FrontOfficeMinutes: 10, BackOfficeMinutes: 20,
		ElectronicDelivery: dost.DegreeFull, Automation: dost.DegreePartial, AssignmentMode: mode,
		DeadlineDays: 10, WorkingDays: true, QueueGroup: "P", Active: true,
	}
}

func saveServices(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	s := sqlstore.NewCatalogueService(db)
	for _, svc := range []*dost.Service{
		service("05-04-02-00", "Old-age pension", dost.ModeProactive, dost.ChannelInPerson, dost.ChannelOnline),
		service("05-01-01-00", "Disability allowance", dost.ModeOnApplication, dost.ChannelInPerson),
		service("01-01-01-00", "Certificate of pension", dost.ModeNone, dost.ChannelOnline),
	} {
		if err := s.SaveService(ctx, svc); err != nil {
			t.Fatalf("save %s: %v", svc.Code, err)
		}
	}
}

func TestCatalogueService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewCatalogueService(db)
		saveServices(t, db)

		t.Run("OK", func(t *testing.T) {
			got, err := s.FindServiceByCode(ctx, "05-04-02-00")
			ok(t, err)
			want := service("05-04-02-00", "Old-age pension", dost.ModeProactive, dost.ChannelInPerson, dost.ChannelOnline)
			if got.Name != want.Name || got.TotalMinutes != 30 || len(got.Documents) != 1 || got.Documents[0].Name != want.Documents[0].Name ||
				!got.Offers(dost.ChannelOnline) || got.AssignmentMode != dost.ModeProactive {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindServiceByCode(ctx, "09-09-09-09")
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			bad := service("05-04-02-00", "x", dost.ModeNone, dost.ChannelInPerson)
			bad.Category = dost.CategoryDisability
			mustCode(t, s.SaveService(ctx, bad), dost.EINVALID)
		})
		t.Run("Upsert", func(t *testing.T) {
			svc := service("01-01-01-00", "Certificate of income", dost.ModeNone, dost.ChannelOnline)
			svc.Active = false
			ok(t, s.SaveService(ctx, svc))
			got, err := s.FindServiceByCode(ctx, "01-01-01-00")
			ok(t, err)
			if got.Name.EN != "Certificate of income" || got.Active {
				t.Fatalf("got %q active=%v, want the replacement, inactive", got.Name.EN, got.Active)
			}
		})
		t.Run("Find", func(t *testing.T) {
			str := func(s string) *string { return &s }
			cat, mode, online := dost.CategoryPensionsBenefits, dost.ModeOnApplication, dost.ChannelOnline
			for _, tc := range []struct {
				name   string
				filter dost.ServiceFilter
				want   []string
			}{
				{"All", dost.ServiceFilter{}, []string{"01-01-01-00", "05-01-01-00", "05-04-02-00"}},
				{"Category", dost.ServiceFilter{Category: &cat}, []string{"05-01-01-00", "05-04-02-00"}},
				{"Mode", dost.ServiceFilter{AssignmentMode: &mode}, []string{"05-01-01-00"}},
				{"Channel", dost.ServiceFilter{Channel: &online}, []string{"01-01-01-00", "05-04-02-00"}},
				{"Active", dost.ServiceFilter{ActiveOnly: true}, []string{"05-01-01-00", "05-04-02-00"}},
				{"QueryEN", dost.ServiceFilter{Query: str("PENSION")}, []string{"05-04-02-00"}},
				{"QueryAZ", dost.ServiceFilter{Query: str("TƏYİNATI")}, []string{"01-01-01-00", "05-01-01-00", "05-04-02-00"}},
				{"QueryRU", dost.ServiceFilter{Query: str("НАЗНАЧЕНИЕ")}, []string{"01-01-01-00", "05-01-01-00", "05-04-02-00"}},
				{"QueryCode", dost.ServiceFilter{Query: str("05-0")}, []string{"05-01-01-00", "05-04-02-00"}},
				{"QueryLike", dost.ServiceFilter{Query: str("%")}, nil},
				{"Page", dost.ServiceFilter{Offset: 1, Limit: 1}, []string{"05-01-01-00"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ss, n, err := s.FindServices(ctx, tc.filter)
					ok(t, err)
					var got []string
					for _, s := range ss {
						got = append(got, s.Code)
					}
					if len(got) != len(tc.want) || (tc.filter.Limit == 0 && n != len(tc.want)) {
						t.Fatalf("got %v (total %d), want %v", got, n, tc.want)
					}
					for i := range got {
						if got[i] != tc.want[i] {
							t.Fatalf("got %v, want %v", got, tc.want)
						}
					}
				})
			}
		})
	})
}

// centre returns a valid centre offering services.
func centre(code string, services ...string) *dost.Centre {
	return &dost.Centre{
		Code: code, Name: dost.Text{AZ: "DOST mərkəzi " + code, EN: "DOST centre " + code, RU: "Центр DOST " + code},
		Region: "Baku", District: "Nizami", Address: dost.Text{AZ: "Küçə 1", EN: "Street 1", RU: "Улица 1"},
		Phone: "+994124000000", Timezone: "Asia/Baku",
		Hours:    []dost.OpeningHours{{Weekday: time.Monday, Opens: "09:00", Closes: "18:00"}, {Weekday: time.Saturday, Opens: "10:00", Closes: "14:00"}},
		Counters: []*dost.Counter{{Number: 1, Label: "1", Groups: []string{"P"}}, {Number: 2, Label: "2"}},
		Services: services,
	}
}

func TestCentreService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewCentreService(db)
		saveServices(t, db)
		c := centre("baku-3", "05-04-02-00", "05-01-01-00")

		t.Run("OK", func(t *testing.T) {
			ok(t, s.CreateCentre(ctx, c))
			if c.ID == 0 || c.Counters[0].ID == 0 || c.Counters[1].CentreID != c.ID {
				t.Fatalf("created: got id %d, counters %+v; want ids", c.ID, c.Counters)
			}
			got, err := s.FindCentreByID(ctx, c.ID)
			ok(t, err)
			if got.Code != "baku-3" || got.Name != c.Name || got.Address != c.Address || len(got.Hours) != 2 ||
				got.Hours[1] != c.Hours[1] || len(got.Counters) != 2 || got.Counters[0].Groups[0] != "P" ||
				len(got.Counters[1].Groups) != 0 || len(got.Services) != 2 || got.Services[0] != "05-01-01-00" ||
				!got.CreatedAt.Equal(dosttest.DefaultNow) {
				t.Fatalf("found: got %+v, want %+v", got, c)
			}
			got, err = s.FindCentreByCode(ctx, "baku-3")
			ok(t, err)
			if got.ID != c.ID {
				t.Fatalf("by code: got %d, want %d", got.ID, c.ID)
			}
			// The catalogue filters by centre.
			ss, n, err := sqlstore.NewCatalogueService(db).FindServices(ctx, dost.ServiceFilter{CentreID: &c.ID})
			ok(t, err)
			if n != 2 || len(ss) != 2 {
				t.Fatalf("services at centre: got %d, want 2", n)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindCentreByID(ctx, 4242)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.FindCentreByCode(ctx, "nowhere")
			mustCode(t, err, dost.ENOTFOUND)
			missing := centre("ghost")
			missing.ID = 4242
			mustCode(t, s.UpdateCentre(ctx, missing), dost.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			mustCode(t, s.CreateCentre(ctx, centre("baku-3")), dost.ECONFLICT)
		})
		t.Run("ErrUnknownService", func(t *testing.T) {
			mustCode(t, s.CreateCentre(ctx, centre("ganja-1", "09-09-09-09")), dost.EINVALID)
			_, err := s.FindCentreByCode(ctx, "ganja-1")
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("Update", func(t *testing.T) {
			first := c.Counters[0].ID
			c.Name.EN = "DOST centre No3"
			c.Counters = []*dost.Counter{{Number: 1, Label: "One", Groups: []string{"P", "S"}}, {Number: 3, Label: "3"}}
			c.Services = []string{"01-01-01-00"}
			ok(t, s.UpdateCentre(ctx, c))
			got, err := s.FindCentreByID(ctx, c.ID)
			ok(t, err)
			if got.Name.EN != "DOST centre No3" || len(got.Counters) != 2 || got.Counters[0].ID != first ||
				got.Counters[0].Label != "One" || len(got.Counters[0].Groups) != 2 || got.Counters[1].Number != 3 ||
				len(got.Services) != 1 || got.Services[0] != "01-01-01-00" {
				t.Fatalf("updated: got %+v", got)
			}
		})
		t.Run("Find", func(t *testing.T) {
			ok(t, s.CreateCentre(ctx, centre("agdam-1", "05-04-02-00")))
			cs, n, err := s.FindCentres(ctx, dost.CentreFilter{})
			ok(t, err)
			if n != 2 || cs[0].Code != "agdam-1" || cs[1].Code != "baku-3" {
				t.Fatalf("all: got %d %v", n, cs)
			}
			code := "05-04-02-00"
			cs, n, err = s.FindCentres(ctx, dost.CentreFilter{ServiceCode: &code})
			ok(t, err)
			if n != 1 || cs[0].Code != "agdam-1" {
				t.Fatalf("by service: got %d %v, want agdam-1", n, cs)
			}
			cs, n, err = s.FindCentres(ctx, dost.CentreFilter{Offset: 1, Limit: 1})
			ok(t, err)
			if n != 2 || len(cs) != 1 || cs[0].Code != "baku-3" {
				t.Fatalf("page: got %d %v, want baku-3", n, cs)
			}
		})
	})
}
