package http

import (
	"context"
	"slices"

	"github.com/dost-az/dost"
)

// This file holds the default scope of the case worker's work queue
// (ui_applications.go handleWorkQueue): their services.

// Scopes of the work queue, "queue.scope.<scope>" on the page.
const (
	queueScopeCertified = "certified" // the services of the user's certifications' categories
	queueScopeCentre    = "centre"    // the services offered at the user's centres
	queueScopeMine      = "mine"      // assigned to the user, any service
)

// myServices returns the services a case worker handles by default, of
// offered (the active services at their centres), and which scope they
// are: the active services of the categories the user holds a
// certification in force today for (training certifications), or, with
// none, those offered at their centres. Without a hall service dost keeps
// no certifications, so it is always the centres' services.
func (s *Server) myServices(ctx context.Context, u *dost.User, offered []*dost.Service) ([]*dost.Service, string, error) {
	if s.Hall == nil || u == nil {
		return offered, queueScopeCentre, nil
	}
	cats, err := s.Hall.CertifiedCategories(ctx, u.ID, dost.Today(s.Clock))
	if err != nil {
		return nil, "", err
	}
	if len(cats) == 0 {
		return offered, queueScopeCentre, nil
	}
	all, _, err := s.CatalogueService.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
	if err != nil {
		return nil, "", err
	}
	return slices.DeleteFunc(all, func(svc *dost.Service) bool { return !slices.Contains(cats, svc.Category) }), queueScopeCertified, nil
}

// serviceCodes returns the codes of services, never nil.
func serviceCodes(services []*dost.Service) []string {
	out := make([]string, 0, len(services))
	for _, svc := range services {
		out = append(out, svc.Code)
	}
	return out
}

// queueOf returns the page of f (a Queue filter without a service) of the
// applications of any of codes, oldest deadline first, and their total;
// codes nil for any service, empty for none. One query.
func (s *Server) queueOf(ctx context.Context, f dost.ApplicationFilter, codes []string) ([]*dost.Application, int, error) {
	f.ServiceCodes = codes
	return s.ApplicationService.FindApplications(ctx, f)
}
