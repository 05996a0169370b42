package hall

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

// admin returns nil if the user in ctx is an administrator, else
// EFORBIDDEN.
func admin(ctx context.Context) error {
	if u := dost.UserFromContext(ctx); u == nil || !u.HasRole(dost.RoleAdmin) {
		return dost.Errorf(dost.EFORBIDDEN, "Only administrators manage certifications.")
	}
	return nil
}

// FindCertifications returns matching certifications and the total.
func (s *Service) FindCertifications(ctx context.Context, f dost.CertificationFilter) ([]*dost.Certification, int, error) {
	return s.store.FindCertifications(ctx, f)
}

// CreateCertification validates and stores c, an administrator's work.
// See dost.CertificationService.
func (s *Service) CreateCertification(ctx context.Context, c *dost.Certification) error {
	if err := admin(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.IssuedBy = dost.UserFromContext(ctx).ID
	return s.store.CreateCertification(ctx, c)
}

// RevokeCertification ends a certification on day d, an administrator's
// work. See dost.CertificationService.
func (s *Service) RevokeCertification(ctx context.Context, id int64, d dost.Date) error {
	if err := admin(ctx); err != nil {
		return err
	}
	return s.store.RevokeCertification(ctx, id, d)
}

// CertifiedCategories returns the categories an operator is certified for
// on day d.
func (s *Service) CertifiedCategories(ctx context.Context, operatorID int64, d dost.Date) ([]dost.Category, error) {
	return s.store.CertifiedCategories(ctx, operatorID, d)
}

// MaxSlotDays is the longest span FindSlots answers for.
const MaxSlotDays = 31

// slots returns the slots of service svc at centre c starting in [from,
// until), without their bookings: each open day is cut into slots of the
// service's front-office minutes (queue.DefaultServiceTime if none), the
// last ending by closing time. A slot takes half the counters serving the
// service's queue group (rounded up): the other half is kept for walk-ins.
func slots(c *dost.Centre, svc *dost.Service, from, until time.Time) []*dost.Slot {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		loc = dost.Baku
	}
	n := 0
	for _, k := range c.Counters {
		if len(k.Groups) == 0 || slices.Contains(k.Groups, svc.QueueGroup) {
			n++
		}
	}
	capacity := (n + 1) / 2
	if capacity == 0 {
		return nil
	}
	length := time.Duration(svc.FrontOfficeMinutes) * time.Minute
	if length <= 0 {
		length = queue.DefaultServiceTime
	}
	var out []*dost.Slot
	day := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day(), 0, 0, 0, 0, loc)
	for ; day.Before(until); day = day.AddDate(0, 0, 1) {
		h, ok := c.OpenOn(day.Weekday())
		if !ok {
			continue
		}
		opens, err1 := time.Parse("15:04", h.Opens)
		closes, err2 := time.Parse("15:04", h.Closes)
		if err1 != nil || err2 != nil {
			continue
		}
		start := day.Add(time.Duration(opens.Hour())*time.Hour + time.Duration(opens.Minute())*time.Minute)
		end := day.Add(time.Duration(closes.Hour())*time.Hour + time.Duration(closes.Minute())*time.Minute)
		for t := start; !t.Add(length).After(end); t = t.Add(length) {
			if !t.Before(from) && t.Before(until) {
				out = append(out, &dost.Slot{CentreID: c.ID, ServiceCode: svc.Code, Start: t.UTC(), End: t.Add(length).UTC(), Capacity: capacity})
			}
		}
	}
	return out
}

// FindSlots returns the slots of a centre and service in time order. See
// dost.AppointmentService; EINVALID also for a span over MaxSlotDays.
func (s *Service) FindSlots(ctx context.Context, f dost.SlotFilter) ([]*dost.Slot, error) {
	if f.Until.Sub(f.From) > MaxSlotDays*24*time.Hour || !f.Until.After(f.From) {
		return nil, dost.FieldErr("until", "slots.span", "Ask for slots over 1 to %d days.", MaxSlotDays)
	}
	c, svc, err := s.offeredService(ctx, f.CentreID, f.ServiceCode)
	if err != nil {
		return nil, err
	}
	all := slots(c, svc, f.From, f.Until)
	booked, err := s.store.CountBookings(ctx, c.ID, svc.Code, f.From, f.Until)
	if err != nil {
		return nil, err
	}
	out := []*dost.Slot{}
	for _, sl := range all {
		sl.Booked = booked[sl.Start]
		if !f.FreeOnly || sl.Free() {
			out = append(out, sl)
		}
	}
	return out, nil
}

// codeAlphabet has no letters easily confused (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newCode returns a random booking code of 8 characters.
func newCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// BookAppointment validates r and books one place in its slot. See
// dost.AppointmentService.
func (s *Service) BookAppointment(ctx context.Context, r *dost.NewAppointment) (*dost.Appointment, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c, svc, err := s.offeredService(ctx, r.CentreID, r.ServiceCode)
	if err != nil {
		return nil, err
	}
	if !r.Start.After(s.clock.Now()) {
		return nil, dost.FieldErr("start", "slot.past", "The slot has begun or passed.")
	}
	var slot *dost.Slot
	for _, sl := range slots(c, svc, r.Start, r.Start.Add(time.Second)) {
		if sl.Start.Equal(r.Start) {
			slot = sl
		}
	}
	if slot == nil {
		return nil, dost.FieldErr("start", "slot.unknown", "No slot of the service starts at this time.")
	}
	a := &dost.Appointment{Code: newCode(), CentreID: c.ID, ServiceCode: svc.Code, Start: slot.Start, End: slot.End,
		FIN: r.FIN, Name: r.Name, Phone: r.Phone, Language: r.Language, Channel: r.Channel}
	if u := dost.UserFromContext(ctx); u != nil {
		a.BookedBy = u.ID
		if u.CitizenOnly() && u.PersonID != nil {
			a.PersonID = *u.PersonID
		}
	}
	if err := s.store.BookAppointment(ctx, a, slot.Capacity, s.limits); err != nil {
		return nil, err
	}
	return a, nil
}

// mine returns ENOTFOUND if a citizen in ctx is not a's person.
func mine(ctx context.Context, a *dost.Appointment) error {
	if u := dost.UserFromContext(ctx); u.CitizenOnly() && (u.PersonID == nil || *u.PersonID != a.PersonID) {
		return dost.Errorf(dost.ENOTFOUND, "Appointment %d not found.", a.ID)
	}
	return nil
}

// FindAppointmentByID returns an appointment. ENOTFOUND if there is none
// or it is another citizen's.
func (s *Service) FindAppointmentByID(ctx context.Context, id int64) (*dost.Appointment, error) {
	a, err := s.store.FindAppointmentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mine(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// FindAppointments returns matching appointments by slot start; a citizen
// sees only their own.
func (s *Service) FindAppointments(ctx context.Context, f dost.AppointmentFilter) ([]*dost.Appointment, int, error) {
	if u := dost.UserFromContext(ctx); u.CitizenOnly() {
		if u.PersonID == nil {
			return []*dost.Appointment{}, 0, nil
		}
		f.PersonID = *u.PersonID
	}
	return s.store.FindAppointments(ctx, f)
}

// CheckInAppointment checks a booking in at the kiosk and issues its
// ticket. See dost.AppointmentService.
func (s *Service) CheckInAppointment(ctx context.Context, code string) (*dost.Ticket, error) {
	return s.store.CheckInAppointment(ctx, code, &dost.Ticket{})
}

// CancelAppointment cancels a booked appointment; a citizen only their
// own. See dost.AppointmentService.
func (s *Service) CancelAppointment(ctx context.Context, id int64) (*dost.Appointment, error) {
	if dost.UserFromContext(ctx).CitizenOnly() {
		if _, err := s.FindAppointmentByID(ctx, id); err != nil {
			return nil, err
		}
	}
	return s.store.CancelAppointment(ctx, id)
}

// LapseAppointments lapses the bookings whose check-in window closed
// before now.
func (s *Service) LapseAppointments(ctx context.Context, now time.Time) (int, error) {
	return s.store.LapseAppointments(ctx, now.Add(-dost.CheckInLate))
}
