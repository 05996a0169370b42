package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/sqlstore"
)

// SeedOptions say what Seed makes.
type SeedOptions struct {
	// Persons is the demo population's size (demo.Seed; it is imported
	// only into an empty registry).
	Persons int
	// Citizens is how many persons of the population get a portal
	// session.
	Citizens int
	// Deceased is how many persons of the population are set aside for
	// death events.
	Deceased int
	// TokenTTL is how long the tokens and sessions live (default 24 h).
	TokenTTL time.Duration
	// Today is the demo's date (default today in Baku).
	Today  dost.Date
	Logger *slog.Logger
}

// Seed prepares db for a run and returns its credentials: the demo
// (catalogue, centres No1 and No3 in Baku and Ganja, staff, the
// population), an operator for every counter of every centre
// ("load-<centre>-<counter>", certified for every category until a year
// from today), portal sessions of citizens of the population (their
// citizen accounts made as an OpenID Connect sign-in makes them), the
// registry's account "load-registry", and two payroll officers. It is
// idempotent: a second call on the same database reuses the accounts and
// makes new tokens and sessions.
func Seed(ctx context.Context, db *sqlstore.DB, o SeedOptions) (*Credentials, error) {
	if o.TokenTTL == 0 {
		o.TokenTTL = 24 * time.Hour
	}
	if o.Today.IsZero() {
		o.Today = dost.DateOf(time.Now().In(dost.Baku))
	}
	users := sqlstore.NewUserService(db)
	centres := sqlstore.NewCentreService(db)
	hallStore := sqlstore.NewHallStore(db)
	persons := sqlstore.NewPersonService(db)
	if _, err := demo.Seed(ctx, demo.Stores{
		Catalogue: sqlstore.NewCatalogueService(db), Centres: centres, Users: users,
		Importer: sqlstore.NewRegistryImporter(db), Persons: persons,
		Training: sqlstore.NewTrainingStore(db), Hall: hallStore,
	}, demo.Options{Persons: o.Persons, Seed: 1, Today: o.Today, Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("demo seed: %w", err)
	}
	cr := &Credentials{Groups: map[string]string{}}
	services, err := catalogue.Services()
	if err != nil {
		return nil, err
	}
	inPerson := map[string]bool{}
	for _, s := range services {
		if s.Active && slices.Contains(s.RequestChannels, dost.ChannelInPerson) {
			cr.Groups[s.Code] = s.QueueGroup
			inPerson[s.Code] = true
		}
	}

	// user returns the account username, made with roles when missing,
	// and a fresh bearer token of it.
	user := func(username, name string, roles []dost.Role, centreIDs []int64) (*dost.User, string, error) {
		u, err := users.FindUserByUsername(ctx, username)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			u = &dost.User{Username: username, Name: name, Roles: roles, CentreIDs: centreIDs}
			err = users.CreateUser(ctx, u, "")
		}
		if err != nil {
			return nil, "", fmt.Errorf("account %s: %w", username, err)
		}
		_, token, err := users.CreateAPIToken(ctx, u.ID, "load", o.TokenTTL)
		if err != nil {
			return nil, "", fmt.Errorf("token of %s: %w", username, err)
		}
		return u, token, nil
	}

	list, _, err := centres.FindCentres(ctx, dost.CentreFilter{Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		lc := Centre{ID: c.ID, Code: c.Code}
		for _, code := range c.Services {
			if inPerson[code] {
				lc.Services = append(lc.Services, code)
			}
		}
		for _, k := range c.Counters {
			u, token, err := user(fmt.Sprintf("load-%s-%02d", c.Code, k.Number), fmt.Sprintf("Load operator %s %d", c.Code, k.Number),
				[]dost.Role{dost.RoleOperator}, []int64{c.ID})
			if err != nil {
				return nil, err
			}
			have, _, err := hallStore.FindCertifications(ctx, dost.CertificationFilter{OperatorID: u.ID})
			if err != nil {
				return nil, err
			}
			for _, cat := range dost.Categories {
				if slices.ContainsFunc(have, func(x *dost.Certification) bool { return x.Category == cat }) {
					continue
				}
				if err := hallStore.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: cat,
					ValidFrom: o.Today.AddDate(0, -1, 0), ValidUntil: o.Today.AddDate(1, 0, 0)}); err != nil {
					return nil, fmt.Errorf("certify %s: %w", u.Username, err)
				}
			}
			lc.Counters = append(lc.Counters, Counter{ID: k.ID, Groups: k.Groups, Token: token})
		}
		cr.Centres = append(cr.Centres, lc)
	}
	if _, cr.Registry, err = user("load-registry", "Load civil registry", []dost.Role{dost.RoleRegistry}, nil); err != nil {
		return nil, err
	}
	if _, cr.Preparer, err = user("load-payroll-1", "Load payroll officer 1", []dost.Role{dost.RolePayroll}, nil); err != nil {
		return nil, err
	}
	if _, cr.Approver, err = user("load-payroll-2", "Load payroll officer 2", []dost.Role{dost.RolePayroll}, nil); err != nil {
		return nil, err
	}

	// The population: citizens, mothers and the deceased, apart.
	ids := sqlstore.NewIdentityService(db)
	staff := map[int64]bool{} // persons linked to staff accounts
	all, _, err := users.FindUsers(ctx, dost.UserFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, u := range all {
		if u.PersonID != nil {
			staff[*u.PersonID] = true
		}
	}
	for off := 0; len(cr.Citizens) < o.Citizens || len(cr.Deceased) < o.Deceased; off += 500 {
		page, total, err := persons.FindPersons(ctx, dost.PersonFilter{Offset: off, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if staff[p.ID] || !p.DeathDate.IsZero() {
				continue
			}
			age := o.Today.Year() - p.BirthDate.Year()
			switch {
			case p.Sex == dost.SexFemale && age >= 18 && age <= 45 && len(cr.Mothers) < 2000:
				cr.Mothers = append(cr.Mothers, p.FIN)
			case age >= 18 && len(cr.Citizens) < o.Citizens:
				u, err := ids.CitizenAccount(ctx, p.ID)
				if err != nil {
					return nil, fmt.Errorf("citizen account: %w", err)
				}
				_, token, err := ids.CreateSession(ctx, u.ID, dost.SignInMeta{IP: "127.0.0.1", UserAgent: "dost-loadgen"})
				if err != nil {
					return nil, fmt.Errorf("citizen session: %w", err)
				}
				cr.Citizens = append(cr.Citizens, token)
			case len(cr.Deceased) < o.Deceased:
				cr.Deceased = append(cr.Deceased, p.FIN)
			}
		}
		if off+500 >= total {
			break
		}
	}
	return cr, nil
}
