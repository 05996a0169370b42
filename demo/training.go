package demo

import (
	"context"
	"fmt"

	"github.com/dost-az/dost"
)

// TrainingStore is what Seed needs to store the demo's training
// (sqlstore.TrainingStore).
type TrainingStore interface {
	FindCourses(ctx context.Context, f dost.CourseFilter) ([]*dost.Course, int, error)
	CreateCourse(ctx context.Context, c *dost.Course) error
	FindCompletions(ctx context.Context, f dost.CompletionFilter) ([]*dost.Completion, int, error)
	RecordCompletion(ctx context.Context, c *dost.Completion) (*dost.Certification, error)
}

// Courses returns the demo's training courses: one front-office course
// per service category, code "FO-" and the category's number, 16 hours,
// valid for 24 months, except the pensions course, valid for 12.
func Courses() []*dost.Course {
	titles := map[dost.Category]dost.Text{
		dost.CategoryCertificates:          {AZ: "Arayışların verilməsi", EN: "Issuing certificates", RU: "Выдача справок"},
		dost.CategoryLabourRelations:       {AZ: "Əmək münasibətləri", EN: "Labour relations", RU: "Трудовые отношения"},
		dost.CategoryDisability:            {AZ: "Əlillik xidmətləri", EN: "Disability services", RU: "Услуги по инвалидности"},
		dost.CategoryEmployment:            {AZ: "Məşğulluq xidmətləri", EN: "Employment services", RU: "Услуги занятости"},
		dost.CategoryPensionsBenefits:      {AZ: "Əmək pensiyaları və müavinətlər", EN: "Pensions and benefits", RU: "Пенсии и пособия"},
		dost.CategoryTargetedAssistance:    {AZ: "Ünvanlı sosial yardım", EN: "Targeted social assistance", RU: "Адресная социальная помощь"},
		dost.CategoryPresidentialStipends:  {AZ: "Prezident təqaüdləri", EN: "Presidential stipends", RU: "Президентские стипендии"},
		dost.CategoryInsuranceRegistration: {AZ: "Sığortaolunanların qeydiyyatı", EN: "Registration of the insured", RU: "Регистрация застрахованных"},
		dost.CategorySocialServices:        {AZ: "Sosial xidmətlər", EN: "Social services", RU: "Социальные услуги"},
		dost.CategorySupportingServices:    {AZ: "Dəstəkləyici xidmətlər", EN: "Supporting services", RU: "Вспомогательные услуги"},
	}
	var out []*dost.Course
	for i, cat := range dost.Categories {
		c := &dost.Course{Code: fmt.Sprintf("FO-%02d", i+1), Category: cat, Title: titles[cat], Hours: 16,
			ValidityMonths: 24, Active: true}
		if cat == dost.CategoryPensionsBenefits {
			c.ValidityMonths = 12
		}
		out = append(out, c)
	}
	return out
}

// seedTraining stores the demo courses missing and, if the demo operator
// has no completion yet, theirs (relative to today): certificates passed
// 2 months ago, disability 3 months ago, pensions 11 months and 2 weeks
// ago (so its 12-month certification is expiring soon, for the matrix and
// the renewal reminder), and a failed employment course last week. The
// administrator recorded them.
func seedTraining(ctx context.Context, st Stores, today dost.Date) error {
	if st.Training == nil {
		return nil
	}
	existing, _, err := st.Training.FindCourses(ctx, dost.CourseFilter{})
	if err != nil {
		return fmt.Errorf("demo: find courses: %w", err)
	}
	byCode := map[string]*dost.Course{}
	for _, c := range existing {
		byCode[c.Code] = c
	}
	for _, c := range Courses() {
		if byCode[c.Code] != nil {
			continue
		}
		if err := st.Training.CreateCourse(ctx, c); err != nil {
			return fmt.Errorf("demo: create course %s: %w", c.Code, err)
		}
		byCode[c.Code] = c
	}
	op, err := st.Users.FindUserByUsername(ctx, "operator")
	if err != nil {
		return fmt.Errorf("demo: find the operator: %w", err)
	}
	admin, err := st.Users.FindUserByUsername(ctx, "admin")
	if err != nil {
		return fmt.Errorf("demo: find the administrator: %w", err)
	}
	if _, n, err := st.Training.FindCompletions(ctx, dost.CompletionFilter{OperatorID: op.ID, Limit: 1}); err != nil {
		return fmt.Errorf("demo: find completions: %w", err)
	} else if n > 0 {
		return nil
	}
	score := func(n int) *int { return &n }
	for _, c := range []*dost.Completion{
		{CourseID: byCode["FO-01"].ID, CompletedOn: today.AddDate(0, -2, 0), Passed: true, Score: score(92)},
		{CourseID: byCode["FO-03"].ID, CompletedOn: today.AddDate(0, -3, 0), Passed: true, Score: score(88)},
		{CourseID: byCode["FO-05"].ID, CompletedOn: today.AddDate(0, -11, -14), Passed: true, Score: score(81)},
		{CourseID: byCode["FO-04"].ID, CompletedOn: today.AddDate(0, 0, -7), Passed: false, Score: score(54)},
	} {
		c.OperatorID, c.RecordedBy = op.ID, admin.ID
		if _, err := st.Training.RecordCompletion(ctx, c); err != nil {
			return fmt.Errorf("demo: record a completion: %w", err)
		}
	}
	return nil
}
