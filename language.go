package dost

// Languages dost speaks, the first being the default.
var Languages = []string{"az", "en", "ru"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Text is a text in each of dost's languages.
type Text struct {
	AZ string `json:"az"`
	EN string `json:"en"`
	RU string `json:"ru"`
}

// In returns the text in lang, falling back to Azerbaijani.
func (t Text) In(lang string) string {
	switch {
	case lang == "en" && t.EN != "":
		return t.EN
	case lang == "ru" && t.RU != "":
		return t.RU
	}
	return t.AZ
}

// Complete reports whether t has all three languages.
func (t Text) Complete() bool { return t.AZ != "" && t.EN != "" && t.RU != "" }
