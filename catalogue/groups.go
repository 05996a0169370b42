package catalogue

import "github.com/dost-az/dost"

// CategoryInfo describes one of the ten official categories of services.
type CategoryInfo struct {
	Number   int           // 1–10, the first part of the category's service codes
	Category dost.Category // the domain's code, e.g. "certificates"
	Name     dost.Text
}

// Prefix returns the category's code prefix, e.g. "05".
func (c CategoryInfo) Prefix() string {
	return string([]byte{byte('0' + c.Number/10), byte('0' + c.Number%10)})
}

// categoryNames are the official names, in the order of dost.Categories.
var categoryNames = []dost.Text{
	{AZ: "Arayışlar", EN: "Certificates", RU: "Справки"},
	{AZ: "Əmək münasibətləri (işəgötürənlər və işçilər)", EN: "Labour relations (employers and employees)", RU: "Трудовые отношения (работодатели и работники)"},
	{AZ: "Əlillik", EN: "Disability", RU: "Инвалидность"},
	{AZ: "Məşğulluq", EN: "Employment", RU: "Занятость"},
	{AZ: "Əmək pensiyaları və sosial müavinətlər", EN: "Labour pensions and social benefits", RU: "Трудовые пенсии и социальные пособия"},
	{AZ: "Ünvanlı dövlət sosial yardımı", EN: "Targeted state social assistance", RU: "Адресная государственная социальная помощь"},
	{AZ: "Prezident təqaüdləri", EN: "Presidential stipends", RU: "Президентские стипендии"},
	{AZ: "Sığortaolunanların qeydiyyatı", EN: "Registration of insured persons", RU: "Регистрация застрахованных лиц"},
	{AZ: "Sosial xidmətlər", EN: "Social services", RU: "Социальные услуги"},
	{AZ: "Dəstəkləyici xidmətlər", EN: "Supporting services", RU: "Вспомогательные услуги"},
}

// Categories returns the ten official categories in order, numbered from 1.
// The result is a fresh slice the caller may change.
func Categories() []CategoryInfo {
	out := make([]CategoryInfo, len(dost.Categories))
	for i, c := range dost.Categories {
		out[i] = CategoryInfo{Number: i + 1, Category: c, Name: categoryNames[i]}
	}
	return out
}

// QueueGroup is a hall queue: its letter starts the ticket numbers
// ("P-042") and its name is shown on the kiosk and the hall boards.
type QueueGroup struct {
	Letter string // one capital letter, as in dost.Service.QueueGroup
	Name   dost.Text
}

// queueGroups are the groups of the shipped catalogue, in kiosk order.
var queueGroups = []QueueGroup{
	{"P", dost.Text{AZ: "Pensiyalar və müavinətlər", EN: "Pensions and benefits", RU: "Пенсии и пособия"}},
	{"S", dost.Text{AZ: "Ünvanlı sosial yardım və sosial xidmətlər", EN: "Targeted assistance and social services", RU: "Адресная помощь и социальные услуги"}},
	{"E", dost.Text{AZ: "Məşğulluq", EN: "Employment", RU: "Занятость"}},
	{"D", dost.Text{AZ: "Əlillik", EN: "Disability", RU: "Инвалидность"}},
	{"C", dost.Text{AZ: "Arayışlar", EN: "Certificates", RU: "Справки"}},
	{"L", dost.Text{AZ: "Əmək münasibətləri", EN: "Labour relations", RU: "Трудовые отношения"}},
	{"I", dost.Text{AZ: "Sığorta qeydiyyatı", EN: "Insurance registration", RU: "Страховая регистрация"}},
	{"V", dost.Text{AZ: "Prezident təqaüdləri", EN: "Presidential stipends", RU: "Президентские стипендии"}},
	{"A", dost.Text{AZ: "Dəstəkləyici xidmətlər", EN: "Supporting services", RU: "Вспомогательные услуги"}},
}

// QueueGroups returns the hall queue groups the catalogue's services use,
// in the order a kiosk shows them. The result is a fresh slice.
func QueueGroups() []QueueGroup {
	return append([]QueueGroup(nil), queueGroups...)
}

// queueGroup returns the group with the letter.
func queueGroup(letter string) (QueueGroup, bool) {
	for _, g := range queueGroups {
		if g.Letter == letter {
			return g, true
		}
	}
	return QueueGroup{}, false
}
