package az

import "github.com/dost-az/dost"

// Programmes returns the benefits of the Azerbaijani rule set that dost
// assigns: for each, the catalogue service that requests it and the
// variables of the rule set that decide it. Each call returns a new slice.
//
// Back pay is limited to 3 years (36 months) for every programme but the
// birth allowance, which has no limit (-1): shared/reference/az-programmes.md,
// "back pay up to 3 years (birth allowance: no limit)". TSSA is assigned
// for 1 year and the unemployment benefit for 6 months (the 3-month extension is a new
// decision); both are offered to confirm rather than assigned unasked, as
// their services are assigned on application. The rules encode the
// benefit's duration too (unemployment_benefit_within_duration, from the
// input unemployment_benefit_months_paid and the parameters
// unemployment.duration_months and extension_months), so a situation that
// gives the months already paid gets 0 after them.
func Programmes() []dost.Programme {
	return []dost.Programme{
		{
			Code: "old_age_pension", ServiceCode: "05-01-01-00",
			Name:   dost.Text{AZ: "Yaşa görə əmək pensiyası", EN: "Old-age labour pension", RU: "Трудовая пенсия по возрасту"},
			Entity: "person", Kind: dost.AwardMonthly,
			Amount: "old_age_pension", Eligible: "old_age_pension_eligible",
			BackPayMonths: 36,
		},
		{
			Code: "disability_allowance", ServiceCode: "03-03-01-00",
			Name:   dost.Text{AZ: "Əlilliyə görə sosial müavinət", EN: "Disability allowance", RU: "Социальное пособие по инвалидности"},
			Entity: "person", Kind: dost.AwardMonthly,
			Amount:        "disability_allowance",
			BackPayMonths: 36,
		},
		{
			Code: "disability_stipend", ServiceCode: "07-01-01-00",
			Name: dost.Text{AZ: "Prezident təqaüdü (müharibə və xidmət əlilliyi)", EN: "Presidential stipend for war- and duty-related disability",
				RU: "Президентская стипендия (инвалидность от войны и службы)"},
			Entity: "person", Kind: dost.AwardMonthly,
			Amount:        "disability_stipend",
			BackPayMonths: 36,
		},
		{
			Code: "birth_allowance", ServiceCode: "05-02-01-00",
			Name:   dost.Text{AZ: "Uşağın doğulmasına görə birdəfəlik müavinət", EN: "Birth allowance", RU: "Единовременное пособие при рождении ребёнка"},
			Entity: "person", Kind: dost.AwardOneOff,
			Amount:        "birth_allowance",
			BackPayMonths: -1, // no limit
		},
		{
			Code: "funeral_allowance", ServiceCode: "05-02-03-00",
			Name:   dost.Text{AZ: "Dəfn üçün birdəfəlik müavinət", EN: "Funeral allowance", RU: "Единовременное пособие на погребение"},
			Entity: "person", Kind: dost.AwardOneOff,
			Amount:        "funeral_allowance",
			BackPayMonths: 36,
		},
		{
			Code: "unemployment_benefit", ServiceCode: "04-01-02-00",
			Name:   dost.Text{AZ: "İşsizlikdən sığorta ödənişi", EN: "Unemployment insurance benefit", RU: "Страховая выплата по безработице"},
			Entity: "person", Kind: dost.AwardMonthly,
			Amount:         "unemployment_benefit",
			DurationMonths: 6,
			Offer:          true,
			BackPayMonths:  36,
		},
		{
			Code: "tssa", ServiceCode: "06-01-01-00",
			Name: dost.Text{AZ: "Ünvanlı dövlət sosial yardımı", EN: "Targeted state social assistance",
				RU: "Адресная государственная социальная помощь"},
			Entity: "household", Kind: dost.AwardMonthly,
			Amount: "tssa_amount", Eligible: "tssa_eligible",
			DurationMonths: 12,
			Offer:          true,
			BackPayMonths:  36,
		},
	}
}
