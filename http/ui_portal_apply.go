package http

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// This file holds applying online on the portal: the services whose
// passport allows an online request, and the form that submits an
// application through the application service on channel portal.

// onlineService reports whether svc may be applied for on the portal: it
// is offered and its passport's request channels include online.
func onlineService(svc *dost.Service) bool {
	return svc.Active && svc.Offers(dost.ChannelOnline)
}

// applyView is the apply page: the services to choose from, or the chosen
// service's form.
type applyView struct {
	Groups  []serviceGroupOpt // the online services by category
	Service *dost.Service     // chosen
	Key     string            // the form's idempotency key
	Note    string
	Alert   string
	Errors  map[string]string // "service", "note", "doc.<code>"
}

// loadApplyView fills the services of v and the chosen one (code).
func (s *Server) loadApplyView(r *http.Request, v *applyView, code string) error {
	all, _, err := s.CatalogueService.FindServices(r.Context(), dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	var online []*dost.Service
	for _, svc := range all {
		if onlineService(svc) {
			online = append(online, svc)
			if svc.Code == code {
				v.Service = svc
			}
		}
	}
	v.Groups = groupServices(online, code)
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if code != "" && v.Service == nil {
		v.Errors["service"] = "form.error.channel.not_offered"
	}
	return nil
}

// handlePortalApplyPage handles "GET /my/applications/new": the services
// that may be applied for online; ?service= shows its form (documents to
// upload, a note). A service that cannot be applied for online is said
// next to the choice (400).
func (s *Server) handlePortalApplyPage(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	v := applyView{Key: newFormKey()}
	if err := s.loadApplyView(r, &v, strings.TrimSpace(r.URL.Query().Get("service"))); err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.renderPortal(w, r, status, "portal_apply", "my.applications", c, v)
}

// handlePortalApplyForm handles "POST /my/applications": submits the
// citizen's own application (their FIN from the session) for a service
// that may be applied for online, on channel portal, with the uploaded
// documents ("doc.<code>" file fields) and note. Idempotent: the form's
// key makes a second submission of the same form (a double click, a
// reload) return the first application. Errors re-render the form.
func (s *Server) handlePortalApplyForm(w http.ResponseWriter, r *http.Request) {
	c := s.portalCitizen(w, r)
	if c == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	perr := r.ParseMultipartForm(4 << 20)
	v := applyView{Key: strings.TrimSpace(r.PostFormValue("key")), Note: strings.TrimSpace(r.PostFormValue("note")), Errors: map[string]string{}}
	code := strings.TrimSpace(r.PostFormValue("service"))
	if err := s.loadApplyView(r, &v, code); err != nil {
		s.Error(w, r, err)
		return
	}
	if code == "" {
		v.Errors["service"] = "form.error.required"
	}
	if perr != nil && !errors.Is(perr, http.ErrNotMultipart) {
		v.Errors["service"] = "form.error.file.too_large"
	}
	if checkIdempotencyKey(v.Key) != nil || v.Key == "" {
		v.Key = newFormKey()
	}
	n := &dost.NewApplication{FIN: c.Person.FIN, ServiceCode: code, Channel: dost.ApplicationOnline, Note: v.Note, IdempotencyKey: "portal:" + v.Key}
	var codes []string
	if v.Service != nil && r.MultipartForm != nil {
		for _, d := range v.Service.Documents {
			fhs := r.MultipartForm.File["doc."+d.Code]
			if len(fhs) == 0 || fhs[0].Size == 0 && fhs[0].Filename == "" {
				continue
			}
			if fhs[0].Size > dost.MaxDocumentSize {
				v.Errors["doc."+d.Code] = "form.error.file.too_large"
				continue
			}
			content, err := readUpload(fhs[0])
			if err != nil {
				s.Error(w, r, err)
				return
			}
			n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, FileName: fhs[0].Filename, ContentType: fhs[0].Header.Get("Content-Type"), Content: content})
			codes = append(codes, d.Code)
		}
	}
	if len(v.Errors) == 0 {
		a, _, err := s.ApplicationService.SubmitApplication(r.Context(), n)
		if err == nil {
			http.Redirect(w, r, portalApplicationPath(a.ID)+"?done=submit", http.StatusSeeOther)
			return
		}
		if v.Alert = formAlertKey(err); v.Alert == "" {
			s.Error(w, r, err)
			return
		}
		v.Errors = fieldErrors(err, func(f string) string {
			switch {
			case f == "service_code", f == "channel":
				return "service"
			case f == "note":
				return "note"
			case strings.HasPrefix(f, "documents."):
				return "doc." + strings.TrimPrefix(f, "documents.")
			case strings.HasPrefix(f, "documents["):
				// documents[i].… names the i-th document given;
				// documents.<code> a required one missing.
				i, _, _ := strings.Cut(strings.TrimPrefix(f, "documents["), "]")
				if k, err := strconv.Atoi(i); err == nil && k < len(codes) {
					return "doc." + codes[k]
				}
			}
			return "service"
		})
	} else {
		v.Alert = "form.alert.invalid"
	}
	s.renderPortal(w, r, http.StatusBadRequest, "portal_apply", "my.applications", c, v)
}
