package demo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// catalogueByCode returns the shipped catalogue keyed by code.
func catalogueByCode(t *testing.T) map[string]*dost.Service {
	t.Helper()
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*dost.Service{}
	for _, s := range services {
		m[s.Code] = s
	}
	return m
}

func TestCentres(t *testing.T) {
	services := catalogueByCode(t)
	centres := demo.Centres()
	if got, want := len(centres), 3; got != want {
		t.Fatalf("got %d centres, want %d", got, want)
	}
	codes := map[string]*dost.Centre{}
	for _, c := range centres {
		t.Run(c.Code, func(t *testing.T) {
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if codes[c.Code] != nil {
				t.Fatalf("code %s used twice", c.Code)
			}
			codes[c.Code] = c
			if c.Timezone != "Asia/Baku" || c.Phone == "" || !c.Address.Complete() || c.Region == "" || c.District == "" {
				t.Errorf("incomplete centre: %+v", c)
			}
			if n := len(c.Counters); n < 8 || n > 20 {
				t.Errorf("got %d counters, want 8 to 20", n)
			}
			if len(c.Hours) < 5 {
				t.Errorf("got %d opening days, want at least 5", len(c.Hours))
			}
			served := map[string]bool{}
			for _, k := range c.Counters {
				if k.Label == "" {
					t.Errorf("counter %d has no label", k.Number)
				}
				for _, g := range k.Groups {
					served[g] = true
				}
			}
			seen := map[string]bool{}
			for _, code := range c.Services {
				s, ok := services[code]
				if !ok {
					t.Errorf("service %s is not in the catalogue", code)
					continue
				}
				if seen[code] {
					t.Errorf("service %s listed twice", code)
				}
				seen[code] = true
				if !served[s.QueueGroup] {
					t.Errorf("service %s: no counter serves queue group %s", code, s.QueueGroup)
				}
			}
		})
	}

	t.Run("No3Nizami", func(t *testing.T) {
		c := codes[demo.CentreBaku3]
		if c == nil {
			t.Fatal("centre baku-3 is missing")
		}
		want := dost.Text{
			AZ: "3 nömrəli DOST mərkəzi, Nizami rayonu, Bakı",
			EN: "DOST centre No3, Nizami district, Baku",
			RU: "Центр DOST №3, Низаминский район, Баку",
		}
		if c.Name != want {
			t.Errorf("got name %+v, want %+v", c.Name, want)
		}
		if c.District != "Nizami" {
			t.Errorf("got district %q, want Nizami", c.District)
		}
	})

	t.Run("ServicesOffered", func(t *testing.T) {
		for _, code := range []string{demo.CentreBaku1, demo.CentreBaku3} {
			if c := codes[code]; c == nil || len(c.Services) != len(services) {
				t.Errorf("%s does not offer all %d services", code, len(services))
			}
		}
		if c := codes[demo.CentreGanja]; c == nil || len(c.Services) == 0 || len(c.Services) >= len(services) {
			t.Errorf("ganja should offer a proper subset of the catalogue")
		}
	})

	// Each call builds new centres, so that a caller changing one (Seed
	// sets IDs) does not change the next.
	t.Run("Fresh", func(t *testing.T) {
		a, b := demo.Centres(), demo.Centres()
		a[0].Services[0] = "changed"
		a[0].Hours[0].Opens = "00:00"
		if b[0].Services[0] == "changed" || b[0].Hours[0].Opens == "00:00" || a[1].Hours[0].Opens == "00:00" {
			t.Error("centres share memory")
		}
	})
}

func TestAccounts(t *testing.T) {
	centres := map[string]bool{}
	for _, c := range demo.Centres() {
		centres[c.Code] = true
	}
	accounts := demo.Accounts()
	if got, want := len(accounts), len(dost.StaffRoles); got != want {
		t.Fatalf("got %d accounts, want %d", got, want)
	}
	for _, role := range dost.StaffRoles {
		i := slices.IndexFunc(accounts, func(a demo.Account) bool { return a.Username == string(role) })
		if i < 0 {
			t.Errorf("no account named %q", role)
			continue
		}
		a := accounts[i]
		if !slices.Equal(a.Roles, []dost.Role{role}) {
			t.Errorf("%s: got roles %v, want [%s]", a.Username, a.Roles, role)
		}
		if len(a.Password) < dost.MinPasswordLength {
			t.Errorf("%s: password has %d characters, want at least %d", a.Username, len(a.Password), dost.MinPasswordLength)
		}
		if a.Name == "" {
			t.Errorf("%s: no display name", a.Username)
		}
		for _, c := range a.CentreCodes {
			if !centres[c] {
				t.Errorf("%s: unknown centre %s", a.Username, c)
			}
		}
		network := role == dost.RoleAdmin || role == dost.RoleAuditor || role == dost.RolePayroll
		if network && len(a.CentreCodes) != 0 {
			t.Errorf("%s: scoped to %v, want the whole network", a.Username, a.CentreCodes)
		}
		if !network && !slices.Equal(a.CentreCodes, []string{demo.CentreBaku3}) {
			t.Errorf("%s: scoped to %v, want [baku-3]", a.Username, a.CentreCodes)
		}
	}
}

// TestSeed seeds a real database twice: the second run must find
// everything in place and change nothing.
func TestSeed(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		st := demo.Stores{
			Catalogue: sqlstore.NewCatalogueService(db),
			Centres:   sqlstore.NewCentreService(db),
			Users:     sqlstore.NewUserService(db),
			Importer:  sqlstore.NewRegistryImporter(db),
			Persons:   sqlstore.NewPersonService(db),
		}
		opts := demo.Options{Persons: 300, Seed: 7, Today: dost.MustDate("2026-11-16")}
		services := catalogueByCode(t)

		first, err := demo.Seed(ctx, st, opts)
		if err != nil {
			t.Fatalf("first seed: %v", err)
		}
		if got, want := first.Services, len(services); got != want {
			t.Errorf("first seed saved %d services, want %d", got, want)
		}
		if got, want := len(first.CentresCreated), 3; got != want || len(first.CentresExisting) != 0 {
			t.Errorf("first seed created %v and found %v, want 3 created", first.CentresCreated, first.CentresExisting)
		}
		if got, want := first.PersonsImported, opts.Persons; got != want || first.PopulationSkipped {
			t.Errorf("first seed imported %d persons, want %d", got, want)
		}
		for _, a := range first.Accounts {
			if !a.Created {
				t.Errorf("first seed did not create %s", a.Username)
			}
		}

		second, err := demo.Seed(ctx, st, opts)
		if err != nil {
			t.Fatalf("second seed: %v", err)
		}
		if len(second.CentresCreated) != 0 || len(second.CentresExisting) != 3 {
			t.Errorf("second seed created %v, want none", second.CentresCreated)
		}
		if second.PersonsImported != 0 || !second.PopulationSkipped {
			t.Errorf("second seed imported %d persons, want none", second.PersonsImported)
		}
		for _, a := range second.Accounts {
			if a.Created {
				t.Errorf("second seed created %s again", a.Username)
			}
		}

		// Without a PersonService the import's conflict tells Seed the
		// population is there.
		persons := st.Persons
		st.Persons = nil
		third, err := demo.Seed(ctx, st, opts)
		if err != nil {
			t.Fatalf("third seed: %v", err)
		}
		if third.PersonsImported != 0 || !third.PopulationSkipped {
			t.Errorf("third seed imported %d persons, want none", third.PersonsImported)
		}

		// Counts in the database.
		if _, n, err := st.Catalogue.FindServices(ctx, dost.ServiceFilter{}); err != nil {
			t.Fatal(err)
		} else if n != len(services) {
			t.Errorf("got %d services stored, want %d", n, len(services))
		}
		if _, n, err := st.Centres.FindCentres(ctx, dost.CentreFilter{}); err != nil {
			t.Fatal(err)
		} else if n != 3 {
			t.Errorf("got %d centres stored, want 3", n)
		}
		if _, n, err := persons.FindPersons(ctx, dost.PersonFilter{Limit: 1}); err != nil {
			t.Fatal(err)
		} else if n != opts.Persons {
			t.Errorf("got %d persons stored, want %d", n, opts.Persons)
		}
		if _, n, err := st.Users.FindUsers(ctx, dost.UserFilter{}); err != nil {
			t.Fatal(err)
		} else if n != len(demo.Accounts()) {
			t.Errorf("got %d users stored, want %d", n, len(demo.Accounts()))
		}

		// The stored centre No3 has its counters and services, and the
		// operator is scoped to it and can sign in.
		c, err := st.Centres.FindCentreByCode(ctx, demo.CentreBaku3)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Services) != len(services) || len(c.Counters) == 0 {
			t.Errorf("baku-3 stored with %d services and %d counters", len(c.Services), len(c.Counters))
		}
		op, err := st.Users.FindUserByUsername(ctx, "operator")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(op.CentreIDs, []int64{c.ID}) || !op.HasRole(dost.RoleOperator) {
			t.Errorf("operator stored with centres %v and roles %v, want [%d] and operator", op.CentreIDs, op.Roles, c.ID)
		}
		if _, _, err := st.Users.SignIn(ctx, "operator", "demo-operator-2026", dost.SignInMeta{IP: "127.0.0.1"}); err != nil {
			t.Errorf("operator cannot sign in: %v", err)
		}

		// Every account is linked to a different living person of working
		// age, no two of one household, those living alone first, so that
		// casework lets it decide others' applications.
		households := sqlstore.NewHouseholdService(db)
		seen, seenHH := map[int64]bool{}, map[int64]bool{}
		alone := 0
		for _, a := range first.Accounts {
			u, err := st.Users.FindUserByUsername(ctx, a.Username)
			if err != nil {
				t.Fatal(err)
			}
			if u.PersonID == nil || seen[*u.PersonID] || a.FIN == "" {
				t.Errorf("%s linked to %v (FIN %q), want a person of its own", a.Username, u.PersonID, a.FIN)
				continue
			}
			seen[*u.PersonID] = true
			p, err := persons.FindPersonByID(ctx, *u.PersonID)
			if err != nil || p.FIN != a.FIN || p.Status == dost.PersonDeceased {
				t.Errorf("%s's person %+v, %v; want FIN %s, alive", a.Username, p, err, a.FIN)
				continue
			}
			if age := p.BirthDate.AgeOn(opts.Today); age < 25 || age > 60 {
				t.Errorf("%s's person is %d, want 25 to 60", a.Username, age)
			}
			id := p.ID
			hs, _, err := households.FindHouseholds(ctx, dost.HouseholdFilter{PersonID: &id})
			if err != nil || len(hs) != 1 || seenHH[hs[0].ID] {
				t.Errorf("%s's households %+v, %v; want one, not another account's", a.Username, hs, err)
				continue
			}
			seenHH[hs[0].ID] = true
			if len(hs[0].Members) == 1 {
				alone++
			}
		}
		if alone == 0 {
			t.Error("no account is linked to a person living alone")
		}
	})
}

// TestSeedWithoutPopulation checks that without a population the accounts
// are made unlinked.
func TestSeedWithoutPopulation(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		st := demo.Stores{Catalogue: sqlstore.NewCatalogueService(db), Centres: sqlstore.NewCentreService(db),
			Users: sqlstore.NewUserService(db), Importer: sqlstore.NewRegistryImporter(db), Persons: sqlstore.NewPersonService(db)}
		res, err := demo.Seed(ctx, st, demo.Options{Persons: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Accounts {
			u, err := st.Users.FindUserByUsername(ctx, a.Username)
			if err != nil || u.PersonID != nil || a.FIN != "" {
				t.Errorf("%s: %+v, %v; want unlinked", a.Username, u, err)
			}
		}
	})
}
