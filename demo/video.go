package demo

import (
	"context"
	"fmt"

	"github.com/dost-az/dost"
)

// CentreVideo is the code of the demo video centre, "Smart DOST — video":
// its counters are video desks, served by the demo video operator, with
// the demo interpreter on call.
const CentreVideo = "smart-dost"

// CertificationCreator stores operators' certifications
// (sqlstore.HallStore).
type CertificationCreator interface {
	CreateCertification(ctx context.Context, c *dost.Certification) error
}

// VideoCentre returns the demo video centre, freshly built: three video
// desks serving every queue group and every service of the catalogue.
func VideoCentre() *dost.Centre {
	c := &dost.Centre{
		Code:     CentreVideo,
		Name:     dost.Text{AZ: "Smart DOST — video", EN: "Smart DOST — video", RU: "Smart DOST — видео"},
		Region:   "Baku",
		District: "Nizami",
		Address: dost.Text{
			AZ: "Smart DOST məntəqələri və portal üzərindən video ilə xidmət",
			EN: "Service by video from Smart DOST points and the portal",
			RU: "Обслуживание по видео из пунктов Smart DOST и портала",
		},
		Phone:    "+994 12 510 09 42",
		Timezone: "Asia/Baku",
		Hours:    openingHours(true),
		Services: serviceCodes(),
	}
	for i := range 3 {
		c.Counters = append(c.Counters, &dost.Counter{Number: i + 1, Label: fmt.Sprintf("Video masa %d", i+1)})
	}
	return c
}

// VideoAccounts returns the demo video centre's accounts: a video
// operator certified for every category of services and an interpreter of
// Azerbaijani Sign Language (and Russian), both of the video centre.
func VideoAccounts() []Account {
	return []Account{
		{Username: "video-operator", Password: "demo-video-2026", Name: "Demo Video Operator",
			Roles: []dost.Role{dost.RoleOperator}, CentreCodes: []string{CentreVideo}},
		{Username: "interpreter", Password: "demo-interpreter-2026", Name: "Demo Sign-language Interpreter",
			Roles: []dost.Role{dost.RoleOperator}, CentreCodes: []string{CentreVideo}},
	}
}

// InterpreterLanguages are the demo interpreter's languages.
var InterpreterLanguages = []string{"sign", "ru"}

// SeedVideo stores the demo video centre (of kind video) and its
// accounts, idempotently: a centre or account that exists is left as it
// is (the centre is made a video centre all the same). A new video
// operator is certified for every category from today − 30 days for a
// year, a new interpreter for InterpreterLanguages. It returns the
// accounts, Created false for those that existed.
func SeedVideo(ctx context.Context, centres dost.CentreService, users dost.UserService, video dost.VideoService,
	certs CertificationCreator, today dost.Date) ([]SeededAccount, error) {
	c, err := centres.FindCentreByCode(ctx, CentreVideo)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		c = VideoCentre()
		err = centres.CreateCentre(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: video centre: %w", err)
	}
	if err := video.SetCentreKind(ctx, c.ID, dost.CentreVideo); err != nil {
		return nil, fmt.Errorf("demo: video centre: %w", err)
	}
	var out []SeededAccount
	from, until := today.AddDate(0, 0, -30), today.AddDate(1, 0, 0)
	for _, a := range VideoAccounts() {
		if _, err := users.FindUserByUsername(ctx, a.Username); err == nil {
			out = append(out, SeededAccount{Account: a})
			continue
		} else if dost.ErrorCode(err) != dost.ENOTFOUND {
			return out, fmt.Errorf("demo: find user %s: %w", a.Username, err)
		}
		u := &dost.User{Username: a.Username, Name: a.Name, Roles: a.Roles, CentreIDs: []int64{c.ID}}
		if err := users.CreateUser(ctx, u, a.Password); err != nil {
			return out, fmt.Errorf("demo: create user %s: %w", a.Username, err)
		}
		if a.Username == "interpreter" {
			for _, l := range InterpreterLanguages {
				if err := video.CertifyInterpreter(ctx, &dost.InterpreterCertification{UserID: u.ID, Language: l,
					ValidFrom: from, ValidUntil: until}); err != nil {
					return out, fmt.Errorf("demo: certify interpreter: %w", err)
				}
			}
		} else if certs != nil {
			for _, cat := range dost.Categories {
				if err := certs.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: cat,
					ValidFrom: from, ValidUntil: until, Course: "demo"}); err != nil {
					return out, fmt.Errorf("demo: certify video operator: %w", err)
				}
			}
		}
		out = append(out, SeededAccount{Account: a, Created: true})
	}
	return out, nil
}

// seedVideo runs SeedVideo when st has a Video store, adding its accounts
// to res.
func seedVideo(ctx context.Context, st Stores, res *Result, today dost.Date) error {
	if st.Video == nil {
		return nil
	}
	accounts, err := SeedVideo(ctx, st.Centres, st.Users, st.Video, st.Certifications, today)
	res.Accounts = append(res.Accounts, accounts...)
	return err
}
