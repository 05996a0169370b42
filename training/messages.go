package training

import (
	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
)

// reminderSubject and reminderBody are the renewal reminder's e-mail by
// language. The subject takes the category's name and the last day; the
// body the operator's name, the category's name, the last day, the days
// left and the course that certified them.
var (
	reminderSubject = map[string]string{
		"az": "Sertifikatın müddəti bitir: %s, %s",
		"en": "Certification expiring: %s, %s",
		"ru": "Истекает сертификация: %s, %s",
	}
	reminderBody = map[string]string{
		"az": "%s \"%s\" kateqoriyası üzrə sertifikatı %s tarixində bitir (%d gün qalıb; kurs: %s). Xidmət göstərməyə davam etmək üçün kursu yenidən keçin; bitdikdən sonra bu kateqoriyanın biletləri operatora təklif edilməyəcək.",
		"en": "The certification of %s for \"%s\" ends on %s (%d days left; course: %s). Retake the course to keep serving; once it ends, the category's tickets are no longer offered to the operator.",
		"ru": "Сертификация сотрудника %s по категории «%s» истекает %s (осталось дней: %d; курс: %s). Пройдите курс повторно, чтобы продолжить обслуживание: после истечения талоны этой категории оператору не предлагаются.",
	}
)

// categoryNames are the categories' official names.
var categoryNames = func() map[dost.Category]dost.Text {
	out := map[dost.Category]dost.Text{}
	for _, c := range catalogue.Categories() {
		out[c.Category] = c.Name
	}
	return out
}()

// categoryName returns a category's name in lang.
func categoryName(lang string, c dost.Category) string {
	if t, ok := categoryNames[c]; ok {
		return t.In(lang)
	}
	return string(c)
}
