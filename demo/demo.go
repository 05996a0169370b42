// Package demo holds dost's demonstration data: three DOST centres, one
// staff account per role and a synthetic population, and Seed, which puts
// them with the shipped service catalogue into a database. `dost serve
// --demo` and `dost demo` use it; nothing here is meant for production.
package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
)

// Centre codes of the demo centres.
const (
	CentreBaku1 = "baku-1"
	CentreBaku3 = "baku-3"
	CentreGanja = "ganja"
)

// ganjaExcluded are the catalogue services the regional centre in Ganja
// does not offer (no partner notary or bank desk, no shelter, no disability
// commission on site); every other service it offers.
var ganjaExcluded = []string{
	"03-01-01-00", "03-01-02-00", "03-01-03-00", // medical-social expertise
	"09-02-01-00",                // shelter
	"10-01-01-00", "10-01-02-00", // notary and bank desk
}

// Centres returns the demo centres, freshly built on each call: DOST centre
// No3 in the Nizami district of Baku ("baku-3"), DOST centre No1 in Baku's
// Yasamal district ("baku-1") and the regional DOST centre in Ganja
// ("ganja"). The Baku centres offer every service of the catalogue, Ganja
// all but a few. It panics only if the embedded catalogue is broken, which
// the catalogue's tests rule out.
func Centres() []*dost.Centre {
	all := serviceCodes()
	return []*dost.Centre{
		{
			Code: CentreBaku1,
			Name: dost.Text{
				AZ: "1 nömrəli DOST mərkəzi, Yasamal rayonu, Bakı",
				EN: "DOST centre No1, Yasamal district, Baku",
				RU: "Центр DOST №1, Ясамальский район, Баку",
			},
			Region:   "Baku",
			District: "Yasamal",
			Address: dost.Text{
				AZ: "Bakı şəhəri, Yasamal rayonu, Şərifzadə küçəsi 210",
				EN: "210 Sharifzade street, Yasamal district, Baku",
				RU: "г. Баку, Ясамальский район, улица Шарифзаде, 210",
			},
			Phone:    "+994 12 510 01 42",
			Timezone: "Asia/Baku",
			Hours:    openingHours(true),
			Counters: counters(
				[]string{"P"}, []string{"P"}, []string{"P"},
				[]string{"S"}, []string{"S"},
				[]string{"E"}, []string{"E"},
				[]string{"D"},
				[]string{"C", "I"},
				[]string{"L", "V"},
				[]string{"A"}, []string{"A"},
			),
			Services: slices.Clone(all),
		},
		{
			Code: CentreBaku3,
			Name: dost.Text{
				AZ: "3 nömrəli DOST mərkəzi, Nizami rayonu, Bakı",
				EN: "DOST centre No3, Nizami district, Baku",
				RU: "Центр DOST №3, Низаминский район, Баку",
			},
			Region:   "Baku",
			District: "Nizami",
			Address: dost.Text{
				AZ: "Bakı şəhəri, Nizami rayonu, Qara Qarayev prospekti 55",
				EN: "55 Gara Garayev avenue, Nizami district, Baku",
				RU: "г. Баку, Низаминский район, проспект Гара Гараева, 55",
			},
			Phone:    "+994 12 510 03 42",
			Timezone: "Asia/Baku",
			Hours:    openingHours(true),
			Counters: counters(
				[]string{"P"}, []string{"P"}, []string{"P"}, []string{"P"},
				[]string{"S"}, []string{"S"},
				[]string{"E"}, []string{"E"},
				[]string{"D"}, []string{"D"},
				[]string{"C", "I"}, []string{"C", "I"},
				[]string{"L"},
				[]string{"V", "P"},
				[]string{"A"}, []string{"A"},
			),
			Services: slices.Clone(all),
		},
		{
			Code: CentreGanja,
			Name: dost.Text{
				AZ: "Gəncə regional DOST mərkəzi",
				EN: "Regional DOST centre, Ganja",
				RU: "Региональный центр DOST, Гянджа",
			},
			Region:   "Ganja-Dashkasan",
			District: "Ganja",
			Address: dost.Text{
				AZ: "Gəncə şəhəri, Kəpəz rayonu, Heydər Əliyev prospekti 36",
				EN: "36 Heydar Aliyev avenue, Kapaz district, Ganja",
				RU: "г. Гянджа, Кяпазский район, проспект Гейдара Алиева, 36",
			},
			Phone:    "+994 22 256 01 42",
			Timezone: "Asia/Baku",
			Hours:    openingHours(false),
			Counters: counters(
				[]string{"P"}, []string{"P"},
				[]string{"S"},
				[]string{"E"},
				[]string{"D"},
				[]string{"C", "I", "L"},
				[]string{"V"},
				[]string{"A"},
			),
			Services: slices.DeleteFunc(slices.Clone(all), func(code string) bool {
				return slices.Contains(ganjaExcluded, code)
			}),
		},
	}
}

// serviceCodes returns the codes of every catalogue service, in order.
func serviceCodes() []string {
	services, err := catalogue.Services()
	if err != nil {
		panic(fmt.Sprintf("demo: %v", err))
	}
	codes := make([]string, len(services))
	for i, s := range services {
		codes[i] = s.Code
	}
	return codes
}

// openingHours returns Monday to Friday 09:00–18:00 and, if saturday,
// Saturday 10:00–15:00.
func openingHours(saturday bool) []dost.OpeningHours {
	var h []dost.OpeningHours
	for d := time.Monday; d <= time.Friday; d++ {
		h = append(h, dost.OpeningHours{Weekday: d, Opens: "09:00", Closes: "18:00"})
	}
	if saturday {
		h = append(h, dost.OpeningHours{Weekday: time.Saturday, Opens: "10:00", Closes: "15:00"})
	}
	return h
}

// counters numbers windows from 1, each serving the given queue groups.
func counters(groups ...[]string) []*dost.Counter {
	out := make([]*dost.Counter, len(groups))
	for i, g := range groups {
		out[i] = &dost.Counter{Number: i + 1, Label: fmt.Sprintf("Pəncərə %d", i+1), Groups: g}
	}
	return out
}

// Account is a demo staff account. The passwords are public: they are
// printed when the demo starts.
type Account struct {
	Username string
	Password string
	Name     string
	Roles    []dost.Role
	// CentreCodes scopes the account to centres; empty means the whole
	// network.
	CentreCodes []string
}

// Accounts returns one staff account per staff role, its username the
// role's name ("admin", "operator", "caseworker", "supervisor",
// "auditor", "payroll"). Operator, case worker and supervisor work at
// centre No3 in Baku; the administrator, the auditor and the payroll
// officer act for the whole network. Seed links each to a person of the
// synthetic population.
func Accounts() []Account {
	return []Account{
		{Username: "admin", Password: "demo-admin-2026", Name: "Demo Administrator", Roles: []dost.Role{dost.RoleAdmin}},
		{Username: "operator", Password: "demo-operator-2026", Name: "Demo Operator", Roles: []dost.Role{dost.RoleOperator}, CentreCodes: []string{CentreBaku3}},
		{Username: "caseworker", Password: "demo-caseworker-2026", Name: "Demo Case Worker", Roles: []dost.Role{dost.RoleCaseWorker}, CentreCodes: []string{CentreBaku3}},
		{Username: "supervisor", Password: "demo-supervisor-2026", Name: "Demo Supervisor", Roles: []dost.Role{dost.RoleSupervisor}, CentreCodes: []string{CentreBaku3}},
		{Username: "auditor", Password: "demo-auditor-2026", Name: "Demo Auditor", Roles: []dost.Role{dost.RoleAuditor}},
		{Username: "payroll", Password: "demo-payroll-2026", Name: "Demo Payroll Officer", Roles: []dost.Role{dost.RolePayroll}},
	}
}
