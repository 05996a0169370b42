package http_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestTrainingPages walks the training pages over HTTP: a course refused
// then created and changed, a completion refused then recorded, the
// matrix and the shortage view, and who may see and do what.
func TestTrainingPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		admin, sup, op := ts.Client(dost.RoleAdmin), ts.Client(dost.RoleSupervisor), ts.Client(dost.RoleOperator)
		operator := ts.Fixtures.Users[dost.RoleOperator]
		cat := ts.Fixtures.Service.Category
		today := dost.Today(dosttest.ClockOf(t, ts.DB))
		courses := func(t *testing.T) int {
			t.Helper()
			_, n, err := ts.TrainingStore.FindCourses(ctx, dost.CourseFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		var courseID int64

		t.Run("Courses", func(t *testing.T) {
			getPage(t, ts, admin, "GET", "/training/courses?lang=en", nil).want(t, 200, "New course", "There are no courses yet.", `href="/training"`)
			p := getPage(t, ts, admin, "POST", "/training/courses", url.Values{"code": {"bad code"}, "category": {"astrology"},
				"title_az": {"Kurs"}, "hours": {"many"}, "validity_months": {"12"}})
			p.want(t, 400, "Some fields need attention", "A code is a capital letter", "Choose a category from the list.",
				"Write a whole number.", `id="course-code" name="code" value="BAD CODE"`)
			if n := courses(t); n != 0 {
				t.Fatalf("%d courses stored after a refusal", n)
			}
			p = getPage(t, ts, admin, "POST", "/training/courses", url.Values{"code": {"fo-t1"}, "category": {string(cat)},
				"title_az": {"Kurs"}, "title_en": {"Front office"}, "title_ru": {"Курс"}, "hours": {"16"}, "validity_months": {"12"}, "active": {"1"}})
			p.want(t, http.StatusSeeOther)
			if p.Location != "/training/courses?done=created" {
				t.Fatalf("redirected to %q", p.Location)
			}
			getPage(t, ts, admin, "GET", p.Location, nil).want(t, 200, "The course was created.", `id="course-FO-T1"`, "Front office", "12 months")
			getPage(t, ts, admin, "POST", "/training/courses", url.Values{"code": {"FO-T1"}, "category": {string(cat)},
				"title_az": {"a"}, "title_en": {"b"}, "title_ru": {"c"}, "hours": {"1"}, "validity_months": {"1"}}).
				want(t, 409, "A course with this code exists already.")
			list, _, _ := ts.TrainingStore.FindCourses(ctx, dost.CourseFilter{})
			courseID = list[0].ID
			path := "/training/courses/" + strconv.FormatInt(courseID, 10)
			getPage(t, ts, admin, "GET", path+"?lang=ru", nil).want(t, 200, "Изменить курс", `value="Front office"`)
			getPage(t, ts, admin, "POST", path+"?lang=en", url.Values{"title_az": {"Kurs"}, "title_en": {"Front office"}, "title_ru": {"Курс"},
				"hours": {"16"}, "validity_months": {"0"}, "active": {"1"}}).want(t, 400, "A certification is valid from 1 to 120 months.")
			p = getPage(t, ts, admin, "POST", path, url.Values{"title_az": {"Kurs"}, "title_en": {"Front office II"}, "title_ru": {"Курс"},
				"hours": {"20"}, "validity_months": {"12"}, "active": {"1"}})
			p.want(t, http.StatusSeeOther)
			getPage(t, ts, admin, "GET", p.Location+"&lang=en", nil).want(t, 200, "The course was saved.", "Front office II")
			getPage(t, ts, admin, "GET", "/training/courses/999", nil).want(t, 404)
		})
		t.Run("Completions", func(t *testing.T) {
			getPage(t, ts, admin, "GET", "/training/completions?lang=en", nil).want(t, 200, "Record a completion",
				`<option value="`+strconv.FormatInt(operator.ID, 10)+`"`, "FO-T1: Front office II", "Nothing recorded yet.")
			form := func(day dost.Date) url.Values {
				return url.Values{"operator_id": {strconv.FormatInt(operator.ID, 10)}, "course_id": {strconv.FormatInt(courseID, 10)},
					"completed_on": {day.String()}, "score": {"90"}, "passed": {"1"}}
			}
			getPage(t, ts, admin, "POST", "/training/completions", form(today.AddDate(0, 0, 1))).
				want(t, 400, "The day cannot be after today.", `aria-describedby="completion-date-error"`)
			bad := form(today)
			bad.Set("operator_id", strconv.FormatInt(ts.Fixtures.Users[dost.RoleCaseWorker].ID, 10))
			getPage(t, ts, admin, "POST", "/training/completions", bad).want(t, 400, "There is no such operator.")
			if _, n, _ := ts.TrainingStore.FindCompletions(ctx, dost.CompletionFilter{}); n != 0 {
				t.Fatalf("%d completions stored after refusals", n)
			}
			p := getPage(t, ts, admin, "POST", "/training/completions", form(today))
			p.want(t, http.StatusSeeOther)
			until := today.AddDate(1, 0, 0).String()
			getPage(t, ts, admin, "GET", p.Location+"&lang=en", nil).want(t, 200, "the operator is certified until "+until, "Passed")
		})
		t.Run("Matrix", func(t *testing.T) {
			p := getPage(t, ts, sup, "GET", "/training?lang=en", nil)
			p.want(t, 200, "Certification matrix", operator.Name, "until "+today.AddDate(1, 0, 0).String(), `href="/training"`)
			if strings.Contains(p.Body, "expiring soon</span>") {
				t.Errorf("a certification for a year is marked expiring soon")
			}
			if strings.Contains(p.Body, "Every centre") || !strings.Contains(p.Body, `value="`+ts.Fixtures.Centre.Code+`" selected`) {
				t.Errorf("a supervisor of %s is offered every centre, or not theirs", ts.Fixtures.Centre.Code)
			}
			getPage(t, ts, admin, "GET", "/training?lang=en", nil).want(t, 200, `<option value="">Every centre</option>`)
			getPage(t, ts, admin, "GET", "/training?centre=nowhere", nil).want(t, 404)
		})
		t.Run("Shortage", func(t *testing.T) {
			getPage(t, ts, sup, "GET", "/training/shortage?lang=en", nil).want(t, 200, "Staff shortage", `id="shortage-`+string(cat)+`"`,
				"Too few", "No certified operator", "are short of certified operators")
			getPage(t, ts, admin, "GET", "/training/shortage?lang=ru&centre="+ts.Fixtures.OtherCentre.Code, nil).want(t, 200, "Нехватка персонала")
			getPage(t, ts, admin, "GET", "/training/shortage?centre=nowhere", nil).want(t, 404)
		})
		t.Run("Access", func(t *testing.T) {
			p := getPage(t, ts, sup, "GET", "/training/courses?lang=en", nil)
			p.want(t, 200, "FO-T1")
			if strings.Contains(p.Body, "New course") {
				t.Errorf("a supervisor is offered the course form")
			}
			getPage(t, ts, sup, "POST", "/training/courses", url.Values{"code": {"FO-T9"}}).want(t, 403)
			getPage(t, ts, sup, "POST", "/training/completions", url.Values{}).want(t, 403)
			getPage(t, ts, op, "GET", "/training", nil).want(t, 403)
			if p := getPage(t, ts, op, "GET", "/hall?lang=en", nil); strings.Contains(p.Body, `href="/training"`) {
				t.Errorf("the navigation offers an operator the training pages")
			}
		})
	})
}

// TestTrainingBrowser records a completion in headless Chromium as the
// administrator and looks at the matrix, the shortage view and the
// courses; each page passes axe-core and reports no error.
func TestTrainingBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := dosttest.NewBrowser(t)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core (run scripts/vendor-assets.sh): %v", err)
	}
	ts := dosttest.NewServer(t, "sqlite")
	course := &dost.Course{Code: "FO-05", Category: ts.Fixtures.Service.Category, Title: dost.Text{AZ: "Kurs", EN: "Front office", RU: "Курс"},
		Hours: 16, ValidityMonths: 12, Active: true}
	if err := ts.TrainingStore.CreateCourse(context.Background(), course); err != nil {
		t.Fatal(err)
	}
	operator := ts.Fixtures.Users[dost.RoleOperator]
	tab := b.NewTab(t)
	check := func(t *testing.T) {
		t.Helper()
		tab.CheckAxe(t, string(axe))
		for _, e := range tab.Errors() {
			t.Errorf("page error: %s", e)
		}
	}
	do := func(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	do(t, chromedp.Navigate(ts.URL+"/training/completions?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#signin-username")),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), dosttest.Password(dost.RoleAdmin)),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#completion-operator")))
	check(t)
	do(t, chromedp.SetValue(chromedp.CSS("#completion-operator"), strconv.FormatInt(operator.ID, 10)),
		chromedp.SetValue(chromedp.CSS("#completion-course"), strconv.FormatInt(course.ID, 10)),
		chromedp.Click(chromedp.CSS("#completion-submit")),
		chromedp.WaitVisible(chromedp.CSS("#completion-done")))
	done, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#completion-done")))
	if err != nil || !strings.Contains(done, "certified until") {
		t.Fatalf("after recording: %q (%v)", done, err)
	}
	check(t)

	do(t, chromedp.Navigate(ts.URL+"/training"), chromedp.WaitVisible(chromedp.CSS("#training-matrix")))
	cell, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#matrix-operator-"+strconv.FormatInt(operator.ID, 10))))
	if err != nil || !strings.Contains(cell, "until") {
		t.Fatalf("matrix row %q (%v)", cell, err)
	}
	check(t)
	do(t, chromedp.Navigate(ts.URL+"/training/shortage"), chromedp.WaitVisible(chromedp.CSS("#shortage-table")))
	check(t)
	do(t, chromedp.Navigate(ts.URL+"/training/courses?lang=ru"), chromedp.WaitVisible(chromedp.CSS("#course-code")))
	check(t)
}
