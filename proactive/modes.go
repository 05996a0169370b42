package proactive

import (
	"context"
	"fmt"

	"github.com/dost-az/dost"
)

// modeOf returns how a newly entitled beneficiary gets programme p: the
// assignment mode of its service's passport in the catalogue, read on
// every call so that a catalogue edit takes effect at once (on every
// node). ModeProactive: the award is made unasked; ModeOnApplication: the
// beneficiary is offered it, to confirm in one step; ModeNone: neither.
// Without a catalogue (Config.Catalogue nil), Programme.Offer decides:
// offered if set, else proactive. A service missing from the catalogue is
// an error: dost serve checks the catalogue at start (checkCatalogue).
func (s *Service) modeOf(ctx context.Context, p *dost.Programme) (dost.AssignmentMode, error) {
	if s.catalogue == nil {
		if p.Offer {
			return dost.ModeOnApplication, nil
		}
		return dost.ModeProactive, nil
	}
	svc, err := s.catalogue.FindServiceByCode(ctx, p.ServiceCode)
	if err != nil {
		return "", fmt.Errorf("find service %s of programme %s: %w", p.ServiceCode, p.Code, err)
	}
	switch svc.AssignmentMode {
	case dost.ModeProactive, dost.ModeOnApplication:
		return svc.AssignmentMode, nil
	}
	return dost.ModeNone, nil
}

// modes caches modeOf for the programmes of one piece of work (a scanned
// shard, an event's re-evaluation), so that each service is read once.
type modes struct {
	s  *Service
	by map[string]dost.AssignmentMode
}

// of returns the mode of p, reading it once.
func (m *modes) of(ctx context.Context, p *dost.Programme) (dost.AssignmentMode, error) {
	if mode, ok := m.by[p.Code]; ok {
		return mode, nil
	}
	mode, err := m.s.modeOf(ctx, p)
	if err != nil {
		return "", err
	}
	if m.by == nil {
		m.by = map[string]dost.AssignmentMode{}
	}
	m.by[p.Code] = mode
	return mode, nil
}
