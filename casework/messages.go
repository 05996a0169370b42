package casework

import (
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// messages are the texts casework sends, in az, en and ru: fmt formats
// with explicit argument indexes, so each language orders the words its
// own way (TestMessages checks every language uses the same arguments).
var messages = map[string]dost.Text{
	"decision.subject": {
		AZ: "%[1]s nömrəli müraciətiniz üzrə qərar",
		EN: "Decision on your application %[1]s",
		RU: "Решение по вашему заявлению %[1]s",
	},
	// 1 number, 2 service, 3 amount, 4 first month.
	"decision.approved.monthly": {
		AZ: "%[1]s nömrəli «%[2]s» müraciətiniz təsdiq edildi: %[4]s ayından ayda %[3]s AZN.",
		EN: "Your application %[1]s for %[2]s was approved: %[3]s AZN per month from %[4]s.",
		RU: "Ваше заявление %[1]s («%[2]s») одобрено: %[3]s AZN в месяц с %[4]s.",
	},
	// 1 number, 2 service, 3 amount, 4 month due.
	"decision.approved.one_off": {
		AZ: "%[1]s nömrəli «%[2]s» müraciətiniz təsdiq edildi: birdəfəlik %[3]s AZN (%[4]s).",
		EN: "Your application %[1]s for %[2]s was approved: %[3]s AZN once (%[4]s).",
		RU: "Ваше заявление %[1]s («%[2]s») одобрено: единовременно %[3]s AZN (%[4]s).",
	},
	// 1 number, 2 service.
	"decision.approved.plain": {
		AZ: "%[1]s nömrəli «%[2]s» müraciətiniz təsdiq edildi.",
		EN: "Your application %[1]s for %[2]s was approved.",
		RU: "Ваше заявление %[1]s («%[2]s») одобрено.",
	},
	// 1 number, 2 service, 3 reason, 4 appeal days.
	"decision.refused": {
		AZ: "%[1]s nömrəli «%[2]s» müraciətiniz rədd edildi: %[3]s Qərardan %[4]d gün ərzində şikayət edə bilərsiniz.",
		EN: "Your application %[1]s for %[2]s was refused: %[3]s You may appeal within %[4]d days.",
		RU: "В заявлении %[1]s («%[2]s») отказано: %[3]s Решение можно обжаловать в течение %[4]d дней.",
	},
	// 1 verification link.
	"decision.letter": {
		AZ: "Qərar məktubunun yoxlanışı: %[1]s",
		EN: "Check the decision letter: %[1]s",
		RU: "Проверка письма о решении: %[1]s",
	},
	"information.subject": {
		AZ: "%[1]s nömrəli müraciət: əlavə məlumat lazımdır",
		EN: "Application %[1]s: more information needed",
		RU: "Заявление %[1]s: нужны дополнительные сведения",
	},
	// 1 number, 2 service, 3 what is asked.
	"information.requested": {
		AZ: "%[1]s nömrəli «%[2]s» müraciətiniz üzrə əlavə məlumat tələb olunur: %[3]s",
		EN: "Your application %[1]s for %[2]s needs more information: %[3]s",
		RU: "По вашему заявлению %[1]s («%[2]s») нужны дополнительные сведения: %[3]s",
	},
	"appeal.subject": {
		AZ: "%[1]s nömrəli müraciət üzrə şikayətin nəticəsi",
		EN: "Your appeal on application %[1]s",
		RU: "Ваша жалоба по заявлению %[1]s",
	},
	// 1 number, 2 service, 3 reason.
	"appeal.upheld": {
		AZ: "%[1]s nömrəli «%[2]s» müraciəti üzrə şikayətiniz təmin edilmədi, qərar qüvvədə qalır: %[3]s",
		EN: "Your appeal on application %[1]s for %[2]s was not granted; the decision stands: %[3]s",
		RU: "Ваша жалоба по заявлению %[1]s («%[2]s») оставлена без удовлетворения, решение остаётся в силе: %[3]s",
	},
	// 1 programme.
	"award.subject": {
		AZ: "Sizə «%[1]s» təyin edildi",
		EN: "%[1]s assigned to you",
		RU: "Вам назначено: «%[1]s»",
	},
	// 1 programme, 2 amount, 3 first day.
	"award.proactive.monthly": {
		AZ: "Sizə müraciət etmədən «%[1]s» təyin edildi: %[3]s tarixindən ayda %[2]s AZN.",
		EN: "%[1]s has been assigned to you without an application: %[2]s AZN per month from %[3]s.",
		RU: "Вам без заявления назначено: «%[1]s», %[2]s AZN в месяц с %[3]s.",
	},
	// 1 programme, 2 amount, 3 month due.
	"award.proactive.one_off": {
		AZ: "Sizə müraciət etmədən «%[1]s» təyin edildi: birdəfəlik %[2]s AZN (%[3]s).",
		EN: "%[1]s has been assigned to you without an application: %[2]s AZN once (%[3]s).",
		RU: "Вам без заявления назначено: «%[1]s», единовременно %[2]s AZN (%[3]s).",
	},
	"late.subject": {
		AZ: "Gecikən müraciət %[1]s",
		EN: "Late application %[1]s",
		RU: "Просроченное заявление %[1]s",
	},
	// 1 number, 2 service code, 3 service, 4 deadline.
	"late.body": {
		AZ: "%[1]s nömrəli müraciət (%[2]s, «%[3]s») %[4]s tarixli son müddətdə qərarsız qaldı.",
		EN: "Application %[1]s for service %[2]s (%[3]s) passed its deadline of %[4]s without a decision.",
		RU: "Заявление %[1]s по услуге %[2]s («%[3]s») не решено в срок до %[4]s.",
	},
	"notice_late.subject": {
		AZ: "İmtina bildirilməyib: müraciət %[1]s",
		EN: "Refusal not notified: application %[1]s",
		RU: "Отказ не доставлен: заявление %[1]s",
	},
	// 1 number, 2 service code, 3 service, 4 notice days.
	"notice_late.body": {
		AZ: "%[1]s nömrəli müraciət (%[2]s, «%[3]s») üzrə imtina %[4]d gün ərzində ərizəçiyə çatdırılmayıb.",
		EN: "The refusal of application %[1]s for service %[2]s (%[3]s) was not delivered to the applicant within %[4]d days.",
		RU: "Отказ по заявлению %[1]s по услуге %[2]s («%[3]s») не доставлен заявителю в течение %[4]d дней.",
	},
}

// say formats message key in lang (az when lang is unknown).
func say(lang, key string, args ...any) string {
	t, ok := messages[key]
	if !ok {
		panic("casework: no message " + key)
	}
	return fmt.Sprintf(t.In(lang), args...)
}

// sentence returns s trimmed and ending with a full stop, for a reason
// placed before another sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// toPerson returns the notifications of one message to person p: an SMS if
// p has a phone, an e-mail if p has an e-mail address. Their MessageIDs are
// id + ":sms" and id + ":email": id must name the event, so that a retry
// is recognised and never delivered twice.
func toPerson(p *dost.Person, id, topic, subject, body string, now time.Time) []*dost.Notification {
	var out []*dost.Notification
	n := func(ch dost.NotificationChannel, to, subject string) *dost.Notification {
		return &dost.Notification{MessageID: id + ":" + string(ch), PersonID: p.ID, Channel: ch, To: to,
			Language: p.Lang(), Topic: topic, Subject: subject, Body: body,
			Status: dost.NotificationPending, NextAttemptAt: now, CreatedAt: now}
	}
	if p.Phone != "" {
		out = append(out, n(dost.NotifySMS, p.Phone, ""))
	}
	if p.Email != "" {
		out = append(out, n(dost.NotifyEmail, p.Email, subject))
	}
	return out
}
