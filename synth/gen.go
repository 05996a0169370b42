package synth

import (
	"math"
	"time"

	"github.com/dost-az/dost"
)

// Civil dates are kept as days since 1970-01-01 while generating; the
// conversions are Howard Hinnant's days_from_civil and civil_from_days.

func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func dateOfDays(z int) dost.Date {
	y, m, d := civilFromDays(z)
	return dost.NewDate(y, time.Month(m), d)
}

// member is one generated person, before rendering as a dost.Person or a
// CSV row.
type member struct {
	first, last, father   string // father: the father's first name, for the patronymic
	firstASCII, lastASCII string
	sex                   byte // 'M' or 'F'
	role                  dost.HouseholdRole
	age                   int
	birth                 int
	deceased              bool
	death                 int
	fin                   [7]byte
	finValue              uint64
	phone                 int // 7 digits; 0: no phone
	phonePrefix           uint8
	email                 int // -1: no e-mail, else the number appended (0: none)
	emailDomain           uint8
	iban                  [28]byte
	hasIBAN               bool
	lang                  string
	disabled              bool
	benefit               int64 // monthly benefit in qəpik
	pension               int64 // monthly pension (2026 level) in qəpik
}

type insRow struct {
	m        int
	employer int
	from, to int // to < 0: open
	wage     int64
}

type incRow struct {
	m      int
	month  int // index into gen.months
	source dost.IncomeSource
	amount int64
}

type disRow struct {
	m        int
	degree   dost.DisabilityDegree
	cause    dost.DisabilityCause
	percent  int
	from, to int // to < 0: indefinite
}

// hh is one generated household.
type hh struct {
	index       int64 // household number, from 0
	first       int64 // index of its first person in the population
	dist        int
	street      int
	house, flat int
	members     []member
	ins         []insRow
	inc         []incRow
	dis         []disRow
}

type month struct {
	year, month int
	first, last int // days
}

// gen holds what every household of one population shares. It is read-only
// after newGen and safe for concurrent use.
type gen struct {
	seed    int64
	today   int
	ty      int
	finKeys [4]uint64
	months  [12]month
}

func newGen(opts Options) *gen {
	t := opts.Today
	if t.IsZero() {
		t = DefaultToday
	}
	g := &gen{seed: opts.Seed, today: daysFromCivil(t.Year(), int(t.Month()), t.Day()), ty: t.Year()}
	for i := range g.finKeys {
		g.finKeys[i] = mix64(uint64(opts.Seed) ^ uint64(i+1)*0xa0761d6478bd642f)
	}
	m := dost.MonthOf(t)
	for i := range g.months {
		mm := m.Add(i - 12)
		first := daysFromCivil(mm.Year, int(mm.Month), 1)
		nx := mm.Add(1)
		g.months[i] = month{mm.Year, int(mm.Month), first, daysFromCivil(nx.Year, int(nx.Month), 1) - 1}
	}
	return g
}

// FINs are 7 characters over the 34 digits and capital letters without I
// and O. Person i gets the i-th element of a seeded permutation of all
// 34^7 codes: a 4-round Feistel network over 36 bits with cycle walking, so
// FINs are unique by construction and look random.
const (
	finAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	finSpace    = 34 * 34 * 34 * 34 * 34 * 34 * 34
	half        = 18
	halfMask    = 1<<half - 1
)

func (g *gen) finValue(i uint64) uint64 {
	x := i
	for {
		l, r := x>>half, x&halfMask
		for _, k := range g.finKeys {
			l, r = r, l^(mix64(r^k)&halfMask)
		}
		x = l<<half | r
		if x < finSpace {
			return x
		}
	}
}

func encodeFIN(v uint64) (f [7]byte) {
	for i := 6; i >= 0; i-- {
		f[i] = finAlphabet[v%34]
		v /= 34
	}
	return f
}

// makeIBAN builds an Azerbaijani IBAN: AZ, check digits, bank code and 20
// account characters ("00", a 4-digit product, 14 digits unique per person).
func makeIBAN(bank string, product int, unique uint64) (b [28]byte) {
	copy(b[:], "AZ00")
	copy(b[4:], bank)
	b[8], b[9] = '0', '0'
	for i := 13; i >= 10; i-- {
		b[i] = byte('0' + product%10)
		product /= 10
	}
	for i := 27; i >= 14; i-- {
		b[i] = byte('0' + unique%10)
		unique /= 10
	}
	rem := 0
	add := func(c byte) {
		if c >= 'A' {
			rem = (rem*100 + int(c-'A') + 10) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	cd := 98 - rem
	b[2], b[3] = byte('0'+cd/10), byte('0'+cd%10)
	return b
}

// avgWage returns the average monthly nominal wage in qəpik in a year.
func avgWage(year int) float64 {
	anchors := [...][2]float64{{1990, 15}, {1995, 20}, {2000, 44}, {2005, 124}, {2010, 332}, {2015, 467}, {2020, 708}, {2023, 890}, {2026, 1000}}
	y := float64(year)
	if y <= anchors[0][0] {
		return anchors[0][1] * 100
	}
	for i := 1; i < len(anchors); i++ {
		if y <= anchors[i][0] {
			a, b := anchors[i-1], anchors[i]
			return (a[1] + (b[1]-a[1])*(y-a[0])/(b[0]-a[0])) * 100
		}
	}
	return 1000 * 100 * math.Pow(1.05, y-2026)
}

// spec is a member as household composition decides it.
type spec struct {
	role   dost.HouseholdRole
	sex    byte
	age    int
	father string // "" : pick at random
	last   int    // surname index
	first  string // "" : pick at random
}

func (r *rng) name(sex byte) (string, string) {
	if sex == 'M' {
		i := r.intn(len(maleNames))
		return maleNames[i], maleASCII[i]
	}
	i := r.intn(len(femaleNames))
	return femaleNames[i], femaleASCII[i]
}

func (r *rng) childSex() byte {
	if r.chance(0.515) {
		return 'M'
	}
	return 'F'
}

func clampAge(a int) int {
	if a < 0 {
		return 0
	}
	if a > 100 {
		return 100
	}
	return a
}

// compose decides who lives in a household of the given size.
func compose(r *rng, size int, out []spec) []spec {
	out = out[:0]
	fam := r.pick(surnameWeights)
	switch size {
	case 1:
		if r.chance(0.5) {
			sex := byte('M')
			if r.chance(0.72) {
				sex = 'F'
			}
			out = append(out, spec{role: dost.RoleHead, sex: sex, age: r.tri(57, 88), last: fam})
		} else {
			sex := byte('M')
			if r.chance(0.42) {
				sex = 'F'
			}
			out = append(out, spec{role: dost.RoleHead, sex: sex, age: r.between(19, 59), last: fam})
		}
		return out
	case 2:
		x := r.float()
		switch {
		case x < 0.55:
			h := r.tri(21, 50)
			if r.chance(0.65) {
				h = r.tri(52, 84)
			}
			w := max(18, h-r.tri(0, 8))
			out = append(out, spec{role: dost.RoleHead, sex: 'M', age: h, last: fam},
				spec{role: dost.RoleSpouse, sex: 'F', age: w, last: fam})
		case x < 0.8:
			c := r.between(0, 24)
			m := c + r.tri(19, 36)
			out = append(out, spec{role: dost.RoleHead, sex: 'F', age: m, last: fam},
				spec{role: dost.RoleChild, sex: r.childSex(), age: c, last: fam})
		default:
			sex := byte('F')
			if r.chance(0.3) {
				sex = 'M'
			}
			p := r.tri(58, 92)
			out = append(out, spec{role: dost.RoleHead, sex: sex, age: p, last: fam},
				spec{role: dost.RoleChild, sex: r.childSex(), age: max(18, p-r.tri(20, 36)), last: fam})
		}
		return out
	}
	// A family: head, usually a spouse, children, perhaps the head's
	// parents and another relative.
	parents, others := 0, 0
	switch {
	case size >= 6:
		if x := r.float(); x < 0.2 {
			parents = 2
		} else if x < 0.65 {
			parents = 1
		}
		if r.chance(0.3) {
			others = 1
		}
	case size == 5:
		if r.chance(0.4) {
			parents = 1
		}
	default:
		if r.chance(0.2) {
			parents = 1
		}
	}
	spouse := 1
	if r.chance(0.08) {
		spouse = 0
	}
	children := size - 1 - spouse - parents - others
	// Mother's age at each birth: first at 19–30, then 1–6 years apart.
	var birthAge [8]int
	a := r.tri(19, 31)
	for i := 0; i < children; i++ {
		birthAge[i] = a
		a += r.tri(1, 6)
	}
	var mother int
	if children > 0 {
		youngest := r.between(0, 17)
		if r.chance(0.36) {
			youngest = r.between(18, 32)
		}
		mother = birthAge[children-1] + youngest
	} else {
		mother = r.between(22, 62)
	}
	mother = clampAge(mother)
	father := clampAge(mother + r.tri(0, 9))
	fatherName, _ := r.name('M')
	headMale := spouse == 0 && r.chance(0.42) || spouse == 1 && r.chance(0.92)
	var head spec
	if headMale {
		head = spec{role: dost.RoleHead, sex: 'M', age: father, last: fam, first: fatherName}
	} else {
		head = spec{role: dost.RoleHead, sex: 'F', age: mother, last: fam}
	}
	out = append(out, head)
	if spouse == 1 {
		if headMale {
			out = append(out, spec{role: dost.RoleSpouse, sex: 'F', age: mother, last: fam})
		} else {
			out = append(out, spec{role: dost.RoleSpouse, sex: 'M', age: father, last: fam, first: fatherName})
		}
	}
	for i := 0; i < children; i++ {
		out = append(out, spec{role: dost.RoleChild, sex: r.childSex(), age: clampAge(mother - birthAge[i]), last: fam, father: fatherName})
	}
	// The head's parents: the father's first name is the head's
	// patronymic.
	gp := clampAge(head.age + r.tri(22, 34))
	if gp > 92 {
		gp = 92 - r.intn(10)
	}
	headFather, _ := r.name('M')
	switch parents {
	case 1:
		// Widowed parents are more often mothers (women live longer), but
		// not so often that the population's sex ratio tips.
		if r.chance(0.42) {
			out = append(out, spec{role: dost.RoleParent, sex: 'M', age: gp, last: fam, first: headFather})
		} else {
			out = append(out, spec{role: dost.RoleParent, sex: 'F', age: gp - r.intn(6), last: r.pick(surnameWeights)})
		}
	case 2:
		out = append(out, spec{role: dost.RoleParent, sex: 'M', age: gp, last: fam, first: headFather},
			spec{role: dost.RoleParent, sex: 'F', age: gp - r.tri(0, 8), last: fam})
	}
	out[0].father = headFather
	if others == 1 {
		if head.age >= 46 {
			// A grandchild.
			out = append(out, spec{role: dost.RoleOther, sex: r.childSex(), age: r.between(0, 8), last: fam})
		} else {
			out = append(out, spec{role: dost.RoleOther, sex: r.childSex(), age: clampAge(head.age + r.between(-10, 6)), last: fam})
		}
	}
	return out
}

// household fills h, whose index, first and size are set, from its own
// random stream.
func (g *gen) household(h *hh, size int, specs []spec) []spec {
	r := newRNG(g.seed, 1, uint64(h.index))
	h.members = h.members[:0]
	h.ins = h.ins[:0]
	h.inc = h.inc[:0]
	h.dis = h.dis[:0]
	h.dist = r.pick(districtWeights)
	d := &districts[h.dist]
	h.street = r.intn(len(streets))
	h.house = 1 + r.tri(0, 160)
	h.flat = 0
	if r.intn(100) < d.flats {
		h.flat = 1 + r.intn(120)
	}
	specs = compose(&r, size, specs)
	lang := "az"
	if x := r.float(); h.dist < 12 && x < 0.1 || x < 0.02 {
		lang = "ru"
	}
	for i, s := range specs {
		m := member{sex: s.sex, role: s.role, age: s.age, lang: lang, email: -1}
		if s.first != "" {
			m.first = s.first
			m.firstASCII = ascii(s.first)
		} else {
			m.first, m.firstASCII = r.name(s.sex)
		}
		if s.sex == 'M' {
			m.last = surnames[s.last]
		} else {
			m.last = femSurnames[s.last]
		}
		m.lastASCII = surnameASCII[s.last]
		if s.sex == 'F' {
			m.lastASCII = femSurnameASCII[s.last]
		}
		m.father = s.father
		if m.father == "" {
			m.father, _ = r.name('M')
		}
		// Born within the year that gives the age today.
		hi := g.today - 1 - 365*s.age - s.age/4
		m.birth = hi - r.intn(365)
		if m.birth > g.today {
			m.birth = g.today
		}
		if i > 0 && s.age >= 1 && (s.age >= 60 && r.chance(0.03) || r.chance(0.002)) {
			m.deceased = true
			m.death = g.today - 1 - r.intn(min(730, g.today-1-m.birth+1))
		}
		idx := uint64(h.first) + uint64(i)
		m.finValue = g.finValue(idx)
		m.fin = encodeFIN(m.finValue)
		if s.age >= 15 && r.chance(0.93) {
			m.phonePrefix = uint8(r.pick(phonePrefixWeights))
			m.phone = r.between(2000000, 9999999)
		}
		if s.age >= 18 && s.age <= 60 && r.chance(0.3) {
			m.email = 0
			if r.chance(0.7) {
				m.email = r.between(1, 99)
			}
			m.emailDomain = uint8(r.intn(len(emailDomains)))
		}
		if s.age >= 18 && r.chance(0.8) || s.age >= 65 {
			m.hasIBAN = true
			m.iban = makeIBAN(banks[r.pick(bankWeights)], 3800+r.intn(12), m.finValue*7919%100000000000000)
		}
		h.members = append(h.members, m)
	}
	for i := range h.members {
		g.records(h, i, &r)
	}
	g.householdBenefit(h, &r)
	for i := range h.members {
		g.incomes(h, i, &r)
	}
	return specs
}

// disabilityRate is the share of people with a disability by age.
func disabilityRate(age int) float64 {
	switch {
	case age < 18:
		return 0.024
	case age < 40:
		return 0.038
	case age < 60:
		return 0.085
	case age < 70:
		return 0.13
	}
	return 0.17
}

// records generates the insurance periods and disability assessments of
// member i.
func (g *gen) records(h *hh, i int, r *rng) {
	m := &h.members[i]
	end := g.today
	if m.deceased {
		end = m.death
	}
	// Disability.
	if !m.deceased && r.chance(disabilityRate(m.age)) {
		m.disabled = true
		d := disRow{m: i, to: -1}
		if m.age < 18 {
			d.degree = dost.DisabilityChild
			d.cause = dost.CauseGeneral
			if r.chance(0.2) {
				d.cause = dost.CauseChildhood
			}
			d.percent = r.between(31, 100)
			d.from = m.birth + r.intn(g.today-m.birth+1)
			by, bm, bd := civilFromDays(m.birth)
			d.to = daysFromCivil(by+18, bm, bd) - 1
			if d.to < d.from {
				d.to = d.from
			}
		} else {
			x := r.float()
			switch {
			case x < 0.15:
				d.degree, d.percent = dost.DisabilityI, r.between(81, 100)
			case x < 0.55:
				d.degree, d.percent = dost.DisabilityII, r.between(61, 80)
			default:
				d.degree, d.percent = dost.DisabilityIII, r.between(31, 60)
			}
			d.cause = dost.CauseGeneral
			switch c := r.float(); {
			case c < 0.07 && m.sex == 'M' && m.age >= 20 && m.age <= 65:
				d.cause = dost.CauseWar
			case c < 0.11:
				d.cause = dost.CauseWorkInjury
			case c < 0.14:
				d.cause = dost.CauseOccupational
			case c < 0.18:
				d.cause = dost.CauseChildhood
			}
			adult := m.birth + 18*365 + 5
			span := min(g.today-adult, 20*365)
			d.from = g.today - 30 - r.intn(max(1, span))
			d.from = min(max(d.from, adult), g.today)
			if d.degree != dost.DisabilityI && m.age < 60 || r.chance(0.3) {
				d.to = g.today + r.between(30, 730)
			}
		}
		h.dis = append(h.dis, d)
		if m.age < 18 {
			m.benefit = 22000
		} else if m.age < 65 {
			m.benefit = int64(r.between(200, 420)) * 100
		}
	}
	// Insurance history.
	if m.age < 19 {
		return
	}
	employed := false
	var p float64
	switch {
	case m.age < 65:
		p = 0.58
		if m.sex == 'F' {
			p = 0.38
		}
		if m.disabled {
			p /= 2
		}
		employed = !m.deceased && r.chance(p)
		if !employed && !r.chance(0.45) {
			return
		}
	default:
		if !r.chance(0.9) {
			return
		}
		// Pension: 350–600 AZN at the 2026 level.
		m.pension = int64(r.tri(350, 600))*100 + int64(r.intn(10))*10
		m.benefit = 0
	}
	start := m.birth + r.tri(18, 26)*365 + r.intn(365)
	var stop int
	switch {
	case employed:
		stop = end
	case m.age >= 65:
		stop = m.birth + r.between(58, 65)*365
	default:
		stop = start + r.intn(max(1, end-start))
	}
	if stop > end {
		stop = end
	}
	if start >= stop {
		start = stop - 30 - r.intn(300)
	}
	years := (stop - start) / 365
	n := 1 + r.intn(min(4, years/6+1))
	factor := math.Exp(0.55*r.norm() - 0.55*0.55/2)
	from := start
	for k := 0; k < n; k++ {
		to := stop
		if k < n-1 {
			to = from + (stop-from)/(n-k) + r.between(-200, 200)
			if to <= from || to >= stop {
				to = from + (stop-from)/(n-k)
			}
		}
		mid := g.yearOf((from + to) / 2)
		if k == n-1 && employed {
			mid = g.yearOf(to) // the wage now, not the period's average
		}
		exp := float64(g.yearOf(to)-g.yearOf(start)) * 0.015
		w := avgWage(mid) * factor * (0.78 + min(exp, 0.4))
		if minW := avgWage(mid) * 0.35; w < minW {
			w = minW
		}
		row := insRow{m: i, employer: r.intn(len(employers)), from: from, to: to, wage: int64(w/10) * 10}
		if k == n-1 && employed {
			row.to = -1
		}
		h.ins = append(h.ins, row)
		from = to + 1 + r.intn(120)
		if from >= stop {
			break
		}
	}
}

func (g *gen) yearOf(days int) int {
	y, _, _ := civilFromDays(days)
	return y
}

// householdBenefit gives some households without earnings targeted social
// assistance, paid to the head.
func (g *gen) householdBenefit(h *hh, r *rng) {
	earners, kids := 0, 0
	for i := range h.members {
		m := &h.members[i]
		if m.pension > 0 || m.benefit > 0 {
			earners++
		}
		if m.age < 18 {
			kids++
		}
	}
	for _, p := range h.ins {
		if p.to < 0 {
			earners++
		}
	}
	if earners == 0 && kids > 0 && r.chance(0.35) {
		h.members[0].benefit += int64(r.between(100, 450)) * 100
	}
}

// incomes generates the monthly income records of member i for the last
// 12 months.
func (g *gen) incomes(h *hh, i int, r *rng) {
	m := &h.members[i]
	end := g.today
	if m.deceased {
		end = m.death
	}
	agri, self := false, false
	if m.age >= 18 && m.age < 65 && districts[h.dist].flats < 50 {
		working := false
		for _, p := range h.ins {
			if p.m == i && p.to < 0 {
				working = true
			}
		}
		if !working {
			x := r.float()
			agri, self = x < 0.2, x >= 0.2 && x < 0.26
		}
	}
	base := int64(r.between(150, 400)) * 100
	for k := range g.months {
		mo := &g.months[k]
		if mo.first > end {
			break
		}
		for _, p := range h.ins {
			if p.m != i || p.from > mo.last || p.to >= 0 && p.to < mo.first {
				continue
			}
			amt := p.wage
			if r.chance(0.2) {
				amt = amt * int64(90+r.intn(40)) / 100 / 10 * 10
			}
			h.inc = append(h.inc, incRow{m: i, month: k, source: dost.IncomeWage, amount: amt})
			break
		}
		if m.pension > 0 {
			amt := m.pension
			if mo.year < g.ty {
				amt = amt * 100 / 109 / 10 * 10
			}
			h.inc = append(h.inc, incRow{m: i, month: k, source: dost.IncomePension, amount: amt})
		}
		if m.benefit > 0 {
			h.inc = append(h.inc, incRow{m: i, month: k, source: dost.IncomeBenefit, amount: m.benefit})
		}
		if agri && mo.month >= 4 && mo.month <= 10 {
			h.inc = append(h.inc, incRow{m: i, month: k, source: dost.IncomeAgriculture, amount: base + int64(r.intn(100))*100})
		}
		if self {
			h.inc = append(h.inc, incRow{m: i, month: k, source: dost.IncomeSelfEmployment, amount: base*2 + int64(r.intn(300))*100})
		}
	}
}
