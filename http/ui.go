package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/dost-az/dost"
)

//go:embed ui/templates ui/static
var uiFS embed.FS

// views lists every page template in ui/templates/views; newUI fails when
// one is missing, so a typo in a handler's view name cannot reach a user.
var views = []string{"home", "services", "service", "signin", "staff", "persons", "person", "error",
	"rules_variables", "rules_variable", "rules_parameters", "rules_parameter", "rules_try",
	"application", "application_decide", "applications", "deadlines", "verify",
	"payroll", "payroll_cycle", "payroll_payments", "payroll_corrections",
	"hall_kiosk", "hall_kiosk_ticket", "hall_board", "hall_ticket", "hall_feedback", "hall_console_index", "hall_console",
	"training_matrix", "training_courses", "training_course", "training_completions", "training_shortage",
	"account_sessions", "account_password",
	"oidc_error",
	"portal_certificates", "verify_certificate",
	"hall_dashboard", "hall_cancel", "hall_book", "hall_booked",
	"audit", "audit_reason", "portal_viewers", // ui_audit.go, ui_portal_viewers.go
	"portal", "portal_benefits", "portal_payments", "portal_applications", "portal_application", "portal_apply",
	"portal_offers", "portal_appointments", "portal_book", "portal_profile",
	"video_join", "video_kiosk", "video_visit", "video_call", "video_desk", "video_interpretations"} // ui_video.go

// ui is the parsed web UI: one template set per language and view, the
// message catalogue and the fingerprints of the static files. It is built
// once by Handler and only read afterwards, so it is safe for concurrent use.
type ui struct {
	msgs      messages
	templates map[string]map[string]*template.Template // lang → view → set
	static    fs.FS
	hashes    map[string]string // static file name → short content hash
}

// newUI parses the embedded templates once and checks that every view
// exists, then clones each view's set for every language with its own "t"
// and "tn" functions, so templates call {{t "key"}} without passing the
// language around.
func newUI() (*ui, error) {
	msgs, err := loadMessages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(uiFS, "ui/static")
	if err != nil {
		return nil, err
	}
	u := &ui{msgs: msgs, static: static, hashes: map[string]string{}, templates: map[string]map[string]*template.Template{}}
	if err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		u.hashes[name] = hex.EncodeToString(sum[:6])
		return nil
	}); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}

	base, err := template.New("").Funcs(u.funcs(dost.Languages[0])).ParseFS(uiFS, "ui/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	for _, lang := range dost.Languages {
		u.templates[lang] = map[string]*template.Template{}
	}
	for _, view := range views {
		set, err := base.Clone()
		if err == nil {
			set, err = set.ParseFS(uiFS, "ui/templates/views/"+view+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("parse view %s: %w", view, err)
		}
		if set.Lookup("content") == nil || set.Lookup("title") == nil {
			return nil, fmt.Errorf("view %s: defines no \"title\" or \"content\" template", view)
		}
		for _, lang := range dost.Languages {
			c, err := set.Clone()
			if err != nil {
				return nil, fmt.Errorf("clone view %s: %w", view, err)
			}
			u.templates[lang][view] = c.Funcs(u.funcs(lang))
		}
	}
	return u, nil
}

// funcs returns the template functions for lang.
func (u *ui) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		// t returns a message in the page's language.
		"t": func(key string, args ...any) string { return u.msgs.text(lang, key, args...) },
		// tn returns the plural form of a message for a count.
		"tn": func(key string, n int) string { return u.msgs.plural(lang, key, n) },
		// text picks the page's language out of a dost.Text.
		"text": func(t dost.Text) string { return t.In(lang) },
		// static returns the URL of a static file with its content hash.
		"static": u.staticURL,
	}
}

// staticURL returns "/static/name?v=hash"; the hash changes with the file's
// content, so the file may be cached for a year.
func (u *ui) staticURL(name string) (string, error) {
	h, ok := u.hashes[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

// openUI builds s.ui once; Handler calls it before registering routes.
func (s *Server) openUI() error {
	if s.ui != nil {
		return nil
	}
	u, err := newUI()
	if err != nil {
		return fmt.Errorf("web ui: %w", err)
	}
	s.ui = u
	return nil
}

// uiRoutes returns the web UI's rows of the route table.
func (s *Server) uiRoutes() []Route {
	return []Route{
		{Pattern: "GET /{$}", Access: Public, Handler: s.handleHome},
		{Pattern: staticPattern, Access: Public, Handler: s.handleStatic},
		{Pattern: "GET /services", Access: Public, Handler: s.handleServices},
		{Pattern: "GET /services/{code}", Access: Public, Handler: s.handleService},
		{Pattern: "GET /signin", Access: Public, Handler: s.handleSignInForm},
		{Pattern: "POST /signin", Access: Public, Handler: s.handleSignIn},
		{Pattern: "POST /signout", Access: Public, Handler: s.handleSignOut},
		{Pattern: "GET /staff", Access: Staff, Handler: s.handleStaffHome},
		{Pattern: "GET /persons", Access: Staff, Handler: s.handlePersons},
		{Pattern: "GET /persons/{fin}", Access: Staff, Handler: s.handlePerson},
		{Pattern: "GET /rules/variables", Access: Public, Handler: s.handleRulesVariables},
		{Pattern: "GET /rules/variables/{name}", Access: Public, Handler: s.handleRulesVariable},
		{Pattern: "GET /rules/parameters", Access: Public, Handler: s.handleRulesParameters},
		{Pattern: "GET /rules/parameters/{id}", Access: Public, Handler: s.handleRulesParameter},
		{Pattern: "GET /rules/try", Access: Staff, Handler: s.handleRulesTry},
		{Pattern: "GET /", Access: Public, Handler: s.handleNotFound},
	}
}

// page is what every view receives: the layout's needs and the view's own
// Data.
type page struct {
	Lang      string
	User      *dost.User
	IsStaff   bool
	Demo      bool
	Nav       string // the nav entry to mark as current
	Languages []langLink
	Data      any
	// MayQueue and MayDeadlines show the work queue and the deadline view
	// in the navigation to the roles their routes admit.
	MayQueue, MayDeadlines bool
	// MayPayroll shows the payroll pages to the roles that read them.
	MayPayroll bool
	// MayHall shows the counter console to operators.
	MayHall bool
	// MayTraining shows the training pages to their readers.
	MayTraining bool
	// MayDashboard shows the supervisor dashboard to supervisors and
	// administrators.
	MayDashboard bool
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code    string
	URL     string
	Current bool
}

// pageFor returns the page data for r in lang.
func (s *Server) pageFor(r *http.Request, lang, nav string, data any) *page {
	u := dost.UserFromContext(r.Context())
	p := &page{Lang: lang, User: u, Demo: s.Demo, Nav: nav, Data: data}
	p.IsStaff = Route{Access: Staff}.Allows(u)
	p.MayQueue, p.MayDeadlines = hasAnyRole(u, caseHandlers), hasAnyRole(u, overseers)
	p.MayPayroll = hasAnyRole(u, payrollReaders)
	p.MayHall = hasAnyRole(u, hallOperators)
	p.MayTraining = hasAnyRole(u, trainingReaders)
	p.MayDashboard = hasAnyRole(u, hallSupervisors)
	// The switcher links back to the same page with the same query; after
	// a POST (a sign-in error) the form's values are not repeated.
	for _, l := range dost.Languages {
		q := url.Values{}
		if r.Method == http.MethodGet {
			q = r.URL.Query()
		}
		q.Set("lang", l)
		p.Languages = append(p.Languages, langLink{Code: l, URL: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	return p
}

// render executes view in the request's language and writes it with
// status. The page is rendered to a buffer first so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, view, nav string, data any) {
	lang := s.requestLang(w, r)
	s.renderLang(w, r, lang, status, view, "layout", s.pageFor(r, lang, nav, data))
}

// renderLang executes the named template of view in lang.
func (s *Server) renderLang(w http.ResponseWriter, r *http.Request, lang string, status int, view, name string, p *page) {
	t := s.ui.templates[lang][view]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		s.logger().Error("render", "view", view, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Add("Vary", "Cookie, Accept-Language, HX-Request")
	if p.User != nil {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the data of the error page.
type errorView struct {
	Status int
	Code   string
}

// errorPage writes an error page in the visitor's language; Server.Error
// calls it for requests outside the API. code is a dost error code
// (dost.ENOTFOUND, …), "rate_limited" or "unavailable" (the database
// away or full: the page says nothing was saved) and chooses the translated
// explanation; message, the domain's English text, is not shown (Error
// logs internal errors).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if s.ui == nil {
		http.Error(w, message, status)
		return
	}
	switch code {
	case dost.EINVALID, dost.ENOTFOUND, dost.ECONFLICT, dost.EUNAUTHORIZED, dost.EFORBIDDEN, codeRateLimited, codeUnavailable:
	default:
		code = dost.EINTERNAL
	}
	s.render(w, r, status, "error", "", errorView{Status: status, Code: code})
}

// handleNotFound handles "GET /" for every path no other route matches.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "There is no page at %s.", r.URL.Path))
}

// handleStatic handles "GET /static/": the embedded stylesheet, images and
// vendored scripts. A request carrying the file's current hash (as
// staticURL writes it) may be cached for a year; others for an hour.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
	h, ok := s.ui.hashes[name]
	if !ok {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "No static file %s.", name))
		return
	}
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	w.Header().Set("ETag", `"`+h+`"`)
	http.ServeFileFS(w, r, s.ui.static, name)
}
