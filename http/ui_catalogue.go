package http

import (
	"net/http"
	"strings"

	"github.com/dost-az/dost"
)

// handleHome handles "GET /{$}": what dost is, with links to the catalogue
// and to staff sign-in.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "home", nil)
}

// servicesView is the data of the catalogue page.
type servicesView struct {
	Query      string
	Category   dost.Category
	Categories []categoryRef
	Groups     []serviceGroup
	Total      int
}

// categoryRef is a category with its official number, 1 to 10.
type categoryRef struct {
	Category dost.Category
	Number   int
}

// serviceGroup is one category's services on the catalogue page.
type serviceGroup struct {
	categoryRef
	Services []*dost.Service
}

// handleServices handles "GET /services": the public catalogue grouped by
// category, filtered by ?category= and searched by ?q= (name in any
// language or code prefix).
func (s *Server) handleServices(w http.ResponseWriter, r *http.Request) {
	v := servicesView{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	for i, c := range dost.Categories {
		v.Categories = append(v.Categories, categoryRef{c, i + 1})
	}
	filter := dost.ServiceFilter{ActiveOnly: true}
	if v.Query != "" {
		filter.Query = &v.Query
	}
	if c := dost.Category(r.URL.Query().Get("category")); categoryNumber(c) > 0 {
		v.Category = c
		filter.Category = &v.Category
	}
	services, total, err := s.CatalogueService.FindServices(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v.Total = total
	byCategory := map[dost.Category][]*dost.Service{}
	for _, svc := range services {
		byCategory[svc.Category] = append(byCategory[svc.Category], svc)
	}
	for _, c := range v.Categories {
		if len(byCategory[c.Category]) > 0 {
			v.Groups = append(v.Groups, serviceGroup{c, byCategory[c.Category]})
		}
	}
	s.render(w, r, http.StatusOK, "services", "services", v)
}

// categoryNumber returns c's official number, 1 to 10, or 0 if c is not a
// category.
func categoryNumber(c dost.Category) int {
	for i, x := range dost.Categories {
		if x == c {
			return i + 1
		}
	}
	return 0
}

// serviceView is the data of the passport page.
type serviceView struct {
	Service *dost.Service
	Number  int // the category's number
}

// handleService handles "GET /services/{code}": the service passport with
// all its fields in the visitor's language.
func (s *Server) handleService(w http.ResponseWriter, r *http.Request) {
	svc, err := s.CatalogueService.FindServiceByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "service", "services", serviceView{Service: svc, Number: categoryNumber(svc.Category)})
}
