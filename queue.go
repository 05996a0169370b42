package dost

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PriorityGroup is a group of visitors a centre serves ahead of others. A
// centre chooses which groups its kiosk offers (QueueSettings); the
// call-next policy gives a ticket of any of them a head start in the queue
// (package queue), never absolute precedence, so that nobody waits without
// bound.
type PriorityGroup string

// Priority groups. PriorityNone is the ordinary visitor.
const (
	PriorityNone       PriorityGroup = ""
	PriorityDisability PriorityGroup = "disability"
	PriorityAged65     PriorityGroup = "aged_65" // aged 65 or more
	PriorityPregnant   PriorityGroup = "pregnant"
	PriorityWarVeteran PriorityGroup = "war_veteran"
)

// PriorityGroups lists every priority group a centre may offer, in the
// order a kiosk shows them; it is also the default list of a centre.
var PriorityGroups = []PriorityGroup{PriorityDisability, PriorityAged65, PriorityPregnant, PriorityWarVeteran}

// ValidPriorityGroup reports whether g is PriorityNone or one of
// PriorityGroups.
func ValidPriorityGroup(g PriorityGroup) bool {
	if g == PriorityNone {
		return true
	}
	for _, x := range PriorityGroups {
		if x == g {
			return true
		}
	}
	return false
}

// QueueSettings is one centre's configuration of its queue: the priority
// groups its kiosk offers, the call-next policy's knobs (see package
// queue), the limits on recalling a ticket and the service-level target the
// dashboards measure against.
type QueueSettings struct {
	CentreID       int64           `json:"centre_id"`
	PriorityGroups []PriorityGroup `json:"priority_groups"` // offered at the kiosk; empty: none
	// HeadStartMinutes is how much earlier than its issue a priority
	// ticket is treated as issued.
	HeadStartMinutes int `json:"head_start_minutes"`
	// AppointmentLeadMinutes: an appointment's ticket is treated as issued
	// this long before its slot.
	AppointmentLeadMinutes int `json:"appointment_lead_minutes"`
	// MaxRecalls is how often a called ticket may be called again, at
	// least RecallIntervalSeconds apart.
	MaxRecalls            int `json:"max_recalls"`
	RecallIntervalSeconds int `json:"recall_interval_seconds"`
	// ServiceLevelMinutes is the wait within which a visitor counts as
	// served on time.
	ServiceLevelMinutes int `json:"service_level_minutes"`
}

// Queue settings' defaults: what a centre gets until its supervisor
// changes them.
const (
	DefaultHeadStartMinutes       = 10
	DefaultAppointmentLeadMinutes = 10
	DefaultMaxRecalls             = 3
	DefaultRecallIntervalSeconds  = 30
	DefaultServiceLevelMinutes    = 15
)

// DefaultQueueSettings returns the defaults for centre id: every priority
// group offered and the Default* knobs.
func DefaultQueueSettings(centreID int64) *QueueSettings {
	return &QueueSettings{
		CentreID:               centreID,
		PriorityGroups:         append([]PriorityGroup(nil), PriorityGroups...),
		HeadStartMinutes:       DefaultHeadStartMinutes,
		AppointmentLeadMinutes: DefaultAppointmentLeadMinutes,
		MaxRecalls:             DefaultMaxRecalls,
		RecallIntervalSeconds:  DefaultRecallIntervalSeconds,
		ServiceLevelMinutes:    DefaultServiceLevelMinutes,
	}
}

// Offers reports whether the centre's kiosk offers priority group g.
// PriorityNone is always offered.
func (s *QueueSettings) Offers(g PriorityGroup) bool {
	if g == PriorityNone {
		return true
	}
	for _, x := range s.PriorityGroups {
		if x == g {
			return true
		}
	}
	return false
}

// Validate checks queue settings: known priority groups, each once (not
// PriorityNone), head start and lead from 0 to 120 minutes, at most 10
// recalls at most 10 minutes apart, a service level from 1 to 240 minutes.
func (s *QueueSettings) Validate() error {
	var v Validation
	seen := map[PriorityGroup]bool{}
	for i, g := range s.PriorityGroups {
		if g == PriorityNone || !ValidPriorityGroup(g) || seen[g] {
			v.Add("priority_groups["+strconv.Itoa(i)+"]", "priority_group.invalid", "Unknown or repeated priority group %q.", g)
		}
		seen[g] = true
	}
	if s.HeadStartMinutes < 0 || s.HeadStartMinutes > 120 {
		v.Add("head_start_minutes", "queue.head_start", "The head start is 0 to 120 minutes.")
	}
	if s.AppointmentLeadMinutes < 0 || s.AppointmentLeadMinutes > 120 {
		v.Add("appointment_lead_minutes", "queue.appointment_lead", "The appointment lead is 0 to 120 minutes.")
	}
	if s.MaxRecalls < 0 || s.MaxRecalls > 10 {
		v.Add("max_recalls", "queue.max_recalls", "A ticket may be recalled 0 to 10 times.")
	}
	if s.RecallIntervalSeconds < 0 || s.RecallIntervalSeconds > 600 {
		v.Add("recall_interval_seconds", "queue.recall_interval", "The recall interval is 0 to 600 seconds.")
	}
	if s.ServiceLevelMinutes < 1 || s.ServiceLevelMinutes > 240 {
		v.Add("service_level_minutes", "queue.service_level", "The service-level target is 1 to 240 minutes.")
	}
	return v.Err("The queue settings have errors.")
}

// TicketStatus is where a ticket is in its life:
//
//	waiting → called (⟲ recall) → serving → finished
//	called → no_show
//	serving → parked → called (by number)
//	called | serving | parked → waiting (transfer: to another service or
//	                                     counter, keeping the issue time)
//	waiting | parked → cancelled
//
// A transfer is an action, not a status: the ticket waits again and the
// event log records where it came from.
type TicketStatus string

// Ticket statuses.
const (
	TicketWaiting   TicketStatus = "waiting"
	TicketCalled    TicketStatus = "called"  // shown on the board, the visitor walks to the counter
	TicketServing   TicketStatus = "serving" // the operator started the service
	TicketParked    TicketStatus = "parked"  // set aside while the visitor fetches something; called back by number
	TicketFinished  TicketStatus = "finished"
	TicketNoShow    TicketStatus = "no_show"
	TicketCancelled TicketStatus = "cancelled"
)

// TicketStatuses lists every status in the order of a ticket's life.
var TicketStatuses = []TicketStatus{TicketWaiting, TicketCalled, TicketServing, TicketParked, TicketFinished, TicketNoShow, TicketCancelled}

// Open reports whether a ticket in status s is still in the hall: it may
// be called, served or moved.
func (s TicketStatus) Open() bool {
	return s == TicketWaiting || s == TicketCalled || s == TicketServing || s == TicketParked
}

// TicketAction moves a ticket from one status to another.
type TicketAction string

// Ticket actions.
const (
	TicketCall       TicketAction = "call"     // call-next, or a parked ticket called back by number
	TicketRecall     TicketAction = "recall"   // call again (limited count and interval)
	TicketStart      TicketAction = "start"    // the visitor is at the counter
	TicketFinish     TicketAction = "finish"   // done, with the services done
	TicketMarkNoShow TicketAction = "no_show"  // the visitor did not come
	TicketPark       TicketAction = "park"     // set aside
	TicketTransfer   TicketAction = "transfer" // to another service or counter
	TicketCancel     TicketAction = "cancel"   // the visitor left
)

// TicketActions lists every action.
var TicketActions = []TicketAction{TicketCall, TicketRecall, TicketStart, TicketFinish, TicketMarkNoShow, TicketPark, TicketTransfer, TicketCancel}

type ticketRule struct {
	from []TicketStatus
	to   TicketStatus
}

// ticketTransitions is the state machine of a ticket.
var ticketTransitions = map[TicketAction]ticketRule{
	TicketCall:       {[]TicketStatus{TicketWaiting, TicketParked}, TicketCalled},
	TicketRecall:     {[]TicketStatus{TicketCalled}, TicketCalled},
	TicketStart:      {[]TicketStatus{TicketCalled}, TicketServing},
	TicketFinish:     {[]TicketStatus{TicketServing}, TicketFinished},
	TicketMarkNoShow: {[]TicketStatus{TicketCalled}, TicketNoShow},
	TicketPark:       {[]TicketStatus{TicketServing}, TicketParked},
	TicketTransfer:   {[]TicketStatus{TicketCalled, TicketServing, TicketParked}, TicketWaiting},
	TicketCancel:     {[]TicketStatus{TicketWaiting, TicketParked}, TicketCancelled},
}

// NextTicketStatus returns the status action leads to from status from.
// Errors: EINVALID (field "action", code "ticket_action.unknown") for an
// unknown action, ECONFLICT (code "ticket_action.not_allowed") when the
// action is not allowed from that status (e.g. finishing a finished
// ticket).
func NextTicketStatus(from TicketStatus, action TicketAction) (TicketStatus, error) {
	r, ok := ticketTransitions[action]
	if !ok {
		return "", &Error{Code: EINVALID, Message: "Unknown action.", Fields: []FieldError{
			{Field: "action", Code: "ticket_action.unknown", Message: "Unknown action " + string(action) + "."}}}
	}
	for _, s := range r.from {
		if s == from {
			return r.to, nil
		}
	}
	return "", &Error{Code: ECONFLICT, Message: "A ticket that is " + string(from) + " cannot be given the action " + string(action) + ".",
		Fields: []FieldError{{Field: "action", Code: "ticket_action.not_allowed", Message: "Not allowed from status " + string(from) + "."}}}
}

// AllowedTicketActions returns the actions allowed from status s, in the
// order of TicketActions.
func AllowedTicketActions(s TicketStatus) []TicketAction {
	var out []TicketAction
	for _, a := range TicketActions {
		if _, err := NextTicketStatus(s, a); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// TicketNumber formats a ticket's number from its queue group's letter and
// its sequence in the group's day: TicketNumber("P", 42) is "P-042".
func TicketNumber(group string, seq int) string {
	return fmt.Sprintf("%s-%03d", group, seq)
}

// Ticket is a visitor's place in a centre's queue for one service. Its
// number is its queue group's letter and its sequence in the centre, group
// and day ("P-042"), unique per centre, group and day. IssuedAt is kept
// through transfers, so a transferred visitor keeps their place.
type Ticket struct {
	ID          int64         `json:"id"`
	CentreID    int64         `json:"centre_id"`
	Day         Date          `json:"day"`   // the day in Baku it was issued
	Group       string        `json:"group"` // the service's queue group letter
	Sequence    int           `json:"sequence"`
	Number      string        `json:"number"` // TicketNumber(Group, Sequence)
	ServiceCode string        `json:"service_code"`
	Priority    PriorityGroup `json:"priority,omitempty"`
	Language    string        `json:"language"` // of the board's announcement and the SMS
	Status      TicketStatus  `json:"status"`
	// AppointmentID links a ticket made by checking in for an
	// appointment; AppointmentAt is the booked slot's start, which the
	// call-next policy uses.
	AppointmentID int64      `json:"appointment_id,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
	// DirectedCounterID is set by a transfer to a counter: only that
	// counter may call the ticket while it waits.
	DirectedCounterID int64 `json:"directed_counter_id,omitempty"`
	// CounterID and OperatorID are the counter and operator that last
	// called it (0 while it has never been called).
	CounterID  int64      `json:"counter_id,omitempty"`
	OperatorID int64      `json:"operator_id,omitempty"`
	IssuedAt   time.Time  `json:"issued_at"`
	CalledAt   *time.Time `json:"called_at,omitempty"` // the first call
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"` // finished, no-show or cancelled
	Recalls    int        `json:"recalls"`
	RecalledAt *time.Time `json:"recalled_at,omitempty"` // the last recall
	Transfers  int        `json:"transfers"`
	// ServicesDone are the codes of the services done at the finish.
	ServicesDone []string `json:"services_done,omitempty"`
	// QuotedWaitSeconds is the wait estimate given at issue, logged so
	// that the estimate's accuracy is measured; 0 when none was given
	// (no open counter served the service), at least 1 otherwise.
	QuotedWaitSeconds int       `json:"quoted_wait_seconds"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// LastCalledAt returns the time the ticket was last called or recalled,
// or the zero time if never.
func (t *Ticket) LastCalledAt() time.Time {
	if t.RecalledAt != nil {
		return *t.RecalledAt
	} else if t.CalledAt != nil {
		return *t.CalledAt
	}
	return time.Time{}
}

// CheckRecall says whether the ticket may be recalled at now under the
// centre's settings. Errors: ECONFLICT with code "ticket_action.not_allowed"
// unless it is called, "ticket.recall_limit" after MaxRecalls recalls,
// "ticket.recall_too_soon" within RecallIntervalSeconds of the last call.
func (t *Ticket) CheckRecall(now time.Time, s *QueueSettings) error {
	if _, err := NextTicketStatus(t.Status, TicketRecall); err != nil {
		return err
	}
	if t.Recalls >= s.MaxRecalls {
		return &Error{Code: ECONFLICT, Message: fmt.Sprintf("Ticket %s was recalled %d times, the most allowed.", t.Number, t.Recalls),
			Fields: []FieldError{{Field: "action", Code: "ticket.recall_limit", Message: "No more recalls allowed."}}}
	}
	if now.Sub(t.LastCalledAt()) < time.Duration(s.RecallIntervalSeconds)*time.Second {
		return &Error{Code: ECONFLICT, Message: fmt.Sprintf("Ticket %s was called less than %d seconds ago.", t.Number, s.RecallIntervalSeconds),
			Fields: []FieldError{{Field: "action", Code: "ticket.recall_too_soon", Message: "Wait before recalling."}}}
	}
	return nil
}

// NewTicket is what the kiosk asks for: a ticket at a centre for a service,
// perhaps in a priority group.
type NewTicket struct {
	CentreID    int64         `json:"centre_id"`
	ServiceCode string        `json:"service_code"`
	Priority    PriorityGroup `json:"priority,omitempty"`
	Language    string        `json:"language"`
}

// Validate checks the request's shape: a centre, a service code of the
// catalogue's form, a known priority group and language. Whether the
// centre offers the service and the group is the QueueService's check.
func (r *NewTicket) Validate() error {
	var v Validation
	if r.CentreID <= 0 {
		v.Add("centre_id", "required", "Centre is required.")
	}
	if CategoryOfCode(r.ServiceCode) == "" {
		v.Add("service_code", "service_code.invalid", "Service code %q is not of the form NN-NN-NN-NN.", r.ServiceCode)
	}
	if !ValidPriorityGroup(r.Priority) {
		v.Add("priority", "priority_group.invalid", "Unknown priority group %q.", r.Priority)
	}
	if !ValidLanguage(r.Language) {
		v.Add("language", "language.invalid", "Language must be az, en or ru.")
	}
	return v.Err("The ticket request has errors.")
}

// TicketActionRequest asks for an action on a ticket at the operator's
// counter. Transfer names a service or a counter (or both); finish names
// the services done.
type TicketActionRequest struct {
	Action       TicketAction `json:"action"`
	ServiceCode  string       `json:"service_code,omitempty"` // transfer: the new service
	CounterID    int64        `json:"counter_id,omitempty"`   // transfer: the counter that is to call it
	ServicesDone []string     `json:"services_done,omitempty"`
}

// Validate checks an action request's shape: a known action, a transfer
// with a service of the catalogue's form or a counter, a finish with at
// least one well-formed service code and no repeats.
func (r *TicketActionRequest) Validate() error {
	var v Validation
	if _, ok := ticketTransitions[r.Action]; !ok {
		v.Add("action", "ticket_action.unknown", "Unknown action %q.", r.Action)
	}
	if r.Action == TicketTransfer {
		if r.ServiceCode == "" && r.CounterID == 0 {
			v.Add("service_code", "transfer.target", "A transfer names a service or a counter.")
		}
		if r.ServiceCode != "" && CategoryOfCode(r.ServiceCode) == "" {
			v.Add("service_code", "service_code.invalid", "Service code %q is not of the form NN-NN-NN-NN.", r.ServiceCode)
		}
		if r.CounterID < 0 {
			v.Add("counter_id", "counter.invalid", "Unknown counter.")
		}
	}
	if r.Action == TicketFinish {
		if len(r.ServicesDone) == 0 {
			v.Add("services_done", "required", "Name the services done.")
		}
		seen := map[string]bool{}
		for i, c := range r.ServicesDone {
			if CategoryOfCode(c) == "" || seen[c] {
				v.Add("services_done["+strconv.Itoa(i)+"]", "service_code.invalid", "Unknown or repeated service code %q.", c)
			}
			seen[c] = true
		}
	}
	return v.Err("The ticket action has errors.")
}

// QueueEventKind is what happened to a ticket.
type QueueEventKind string

// Queue event kinds, one per ticket action and the issue.
const (
	QueueIssued      QueueEventKind = "issued"
	QueueCalled      QueueEventKind = "called"
	QueueRecalled    QueueEventKind = "recalled"
	QueueNoShow      QueueEventKind = "no_show"
	QueueTransferred QueueEventKind = "transferred"
	QueueParked      QueueEventKind = "parked"
	QueueStarted     QueueEventKind = "started"
	QueueFinished    QueueEventKind = "finished"
	QueueCancelled   QueueEventKind = "cancelled"
)

// QueueEventKinds lists every kind.
var QueueEventKinds = []QueueEventKind{QueueIssued, QueueCalled, QueueRecalled, QueueNoShow, QueueTransferred, QueueParked, QueueStarted, QueueFinished, QueueCancelled}

// QueueEvent is one entry of a centre's queue log, written in the same
// transaction as the ticket's change and never changed afterwards. Every
// queue KPI (waits, service times, no-shows, the estimate's accuracy) is
// computed from this log.
type QueueEvent struct {
	ID         int64          `json:"id"`
	CentreID   int64          `json:"centre_id"`
	TicketID   int64          `json:"ticket_id"`
	Number     string         `json:"number"`
	Kind       QueueEventKind `json:"kind"`
	At         time.Time      `json:"at"`
	CounterID  int64          `json:"counter_id,omitempty"`
	OperatorID int64          `json:"operator_id,omitempty"`
	// ServiceCode is the ticket's service after the event; for a
	// transfer FromServiceCode is the one before (equal when only the
	// counter changed).
	ServiceCode     string        `json:"service_code"`
	FromServiceCode string        `json:"from_service_code,omitempty"`
	Priority        PriorityGroup `json:"priority,omitempty"`
	// Reason is why call-next chose the ticket (called events), or code
	// ReasonDayEnd on the cancelled event of a ticket the day-end job
	// closed.
	Reason *CallReason `json:"reason,omitempty"`
	// ServicesDone are the services done (finished events).
	ServicesDone []string `json:"services_done,omitempty"`
	// QuotedWaitSeconds is the estimate given to the visitor (issued
	// events).
	QuotedWaitSeconds int `json:"quoted_wait_seconds,omitempty"`
}

// CallReasonCode names the deciding reason call-next chose a ticket. Pages
// translate it (message keys "call_reason.<code>") and fill in CallReason's
// numbers.
type CallReasonCode string

// Call reasons.
const (
	// ReasonLongestWait: the ticket has waited longest of those the
	// operator may serve.
	ReasonLongestWait CallReasonCode = "longest_wait"
	// ReasonPriority: its priority group's head start put it ahead of
	// tickets issued before it.
	ReasonPriority CallReasonCode = "priority"
	// ReasonAppointment: its appointment's time put it ahead of tickets
	// issued before it.
	ReasonAppointment CallReasonCode = "appointment"
	// ReasonByNumber: the operator called this ticket by its number (a
	// parked ticket called back).
	ReasonByNumber CallReasonCode = "by_number"
	// ReasonDayEnd is not a call: the reason of the cancelled event the
	// day-end job writes for a ticket its day left open (waiting, called,
	// serving or parked); WaitedSeconds is the time since its issue.
	ReasonDayEnd CallReasonCode = "day_end"
)

// CallReason explains why a ticket was called, in codes and numbers (no
// prose), so that a page says it in the operator's language. String gives
// the English for logs.
type CallReason struct {
	Code     CallReasonCode `json:"code"`
	Priority PriorityGroup  `json:"priority,omitempty"`
	// HeadStartSeconds is the priority group's head start applied.
	HeadStartSeconds int64 `json:"head_start_seconds,omitempty"`
	// AppointmentAt is the booked slot's start for an appointment's
	// ticket, AppointmentLeadSeconds how long before it the ticket counts
	// as issued.
	AppointmentAt          *time.Time `json:"appointment_at,omitempty"`
	AppointmentLeadSeconds int64      `json:"appointment_lead_seconds,omitempty"`
	// WaitedSeconds is the time since the ticket was issued.
	WaitedSeconds int64 `json:"waited_seconds"`
	// Passed is how many tickets the operator may serve, issued before
	// this one, it went ahead of.
	Passed int `json:"passed,omitempty"`
	// Waiting is how many waiting tickets the operator may serve (this
	// one included), over Services distinct services.
	Waiting  int `json:"waiting"`
	Services int `json:"services"`
}

// String says the reason in English, e.g. "priority group disability
// (+10 min), waited 12 min, the longest among 3 services you are certified
// for".
func (r *CallReason) String() string {
	var parts []string
	switch r.Code {
	case ReasonByNumber:
		return fmt.Sprintf("called by number, waited %s", minutes(r.WaitedSeconds))
	case ReasonDayEnd:
		return fmt.Sprintf("closed at the day's end, %s after its issue", minutes(r.WaitedSeconds))
	case ReasonPriority:
		parts = append(parts, fmt.Sprintf("priority group %s (+%s)", r.Priority, minutes(r.HeadStartSeconds)))
	case ReasonAppointment:
		parts = append(parts, fmt.Sprintf("appointment at %s (counted from %s before)", r.AppointmentAt.In(Baku).Format("15:04"), minutes(r.AppointmentLeadSeconds)))
	}
	parts = append(parts, "waited "+minutes(r.WaitedSeconds))
	if r.Passed > 0 {
		parts = append(parts, fmt.Sprintf("ahead of %d issued earlier", r.Passed))
	}
	s := "services"
	if r.Services == 1 {
		s = "service"
	}
	parts = append(parts, fmt.Sprintf("the longest among %d %s you are certified for", r.Services, s))
	return strings.Join(parts, ", ")
}

// minutes formats seconds as whole minutes, "12 min" (rounded down).
func minutes(sec int64) string {
	return strconv.FormatInt(sec/60, 10) + " min"
}

// CounterSignIn is an operator signed in at a counter: while it is open
// (SignedOutAt nil) the counter calls tickets for that operator's
// certifications. A counter has at most one open sign-in, and an operator
// at most one.
type CounterSignIn struct {
	ID          int64      `json:"id"`
	CentreID    int64      `json:"centre_id"`
	CounterID   int64      `json:"counter_id"`
	OperatorID  int64      `json:"operator_id"`
	SignedInAt  time.Time  `json:"signed_in_at"`
	SignedOutAt *time.Time `json:"signed_out_at,omitempty"`
}

// TicketFilter selects tickets; zero fields do not filter.
type TicketFilter struct {
	CentreID    int64
	Day         Date
	ServiceCode string
	Statuses    []TicketStatus
	Number      string
	CounterID   int64
	Offset      int
	Limit       int
}

// QueueEventFilter selects queue events, oldest first; zero fields do not
// filter. From is inclusive, Until exclusive.
type QueueEventFilter struct {
	CentreID int64
	TicketID int64
	Kinds    []QueueEventKind
	From     time.Time
	Until    time.Time
	Offset   int
	Limit    int
}

// QueueService runs a centre's queue: the kiosk issues tickets, operators
// sign in at counters and call, serve and move them. Operators act through
// the user in the context (UserFromContext), only in their centres
// (EFORBIDDEN elsewhere). Each change writes the ticket and its QueueEvent
// in one transaction.
type QueueService interface {
	// IssueTicket validates r and issues the next number of the service's
	// queue group at the centre for today, with the wait estimate quoted.
	// Anyone may call it (the kiosk). EINVALID for an unknown centre, a
	// service the centre does not offer (field "service_code", code
	// "service.not_offered") or a priority group it does not offer (field
	// "priority", code "priority_group.not_offered").
	IssueTicket(ctx context.Context, r *NewTicket) (*Ticket, error)

	// FindTicketByID returns a ticket. ENOTFOUND if there is none.
	FindTicketByID(ctx context.Context, id int64) (*Ticket, error)

	// FindTickets returns matching tickets in order of issue, and the total.
	FindTickets(ctx context.Context, f TicketFilter) ([]*Ticket, int, error)

	// SignInCounter signs the operator in at a counter. ENOTFOUND for an
	// unknown counter; ECONFLICT if another operator is signed in there
	// (the operator's own open sign-in elsewhere is closed).
	SignInCounter(ctx context.Context, counterID int64) (*CounterSignIn, error)

	// SignOutCounter ends the operator's sign-in at a counter. ENOTFOUND
	// if they are not signed in there.
	SignOutCounter(ctx context.Context, counterID int64) error

	// CallNext chooses the next waiting ticket for the operator signed in
	// at counterID by the centre's call-next policy (package queue), among
	// the services the operator is certified for today and the counter
	// serves, and calls it: two callers never get the same ticket.
	// EFORBIDDEN unless the operator is signed in at the counter;
	// ENOTFOUND (code "queue.empty") when no ticket waits that they may
	// serve; ECONFLICT (code "counter.busy") while the counter has a
	// ticket called or being served (finish, park, transfer or mark it a
	// no-show first).
	CallNext(ctx context.Context, counterID int64) (*Ticket, *CallReason, error)

	// CallTicket calls a waiting or parked ticket by number to the
	// operator's counter. EFORBIDDEN (code "certification.missing") for a
	// service the operator is not certified for; ECONFLICT if the ticket
	// is not waiting or parked.
	CallTicket(ctx context.Context, counterID, ticketID int64) (*Ticket, error)

	// ActOnTicket applies r to a ticket called to the operator's counter
	// (NextTicketStatus's state machine). ECONFLICT for an action its
	// status does not allow (a ticket finished twice) or a recall beyond
	// the centre's limits (Ticket.CheckRecall); EINVALID for a transfer to
	// an unknown service or counter, or a finish without services done,
	// or the action call (code "ticket_action.use_call": CallNext and
	// CallTicket call); EFORBIDDEN if the ticket is at another operator's
	// counter. A cancel is any staff member's of the ticket's centre.
	ActOnTicket(ctx context.Context, ticketID int64, r TicketActionRequest) (*Ticket, error)

	// FindQueueEvents returns matching events oldest first, and the total.
	FindQueueEvents(ctx context.Context, f QueueEventFilter) ([]*QueueEvent, int, error)

	// FindQueueSettings returns a centre's settings, DefaultQueueSettings
	// if it never saved any. ENOTFOUND for an unknown centre.
	FindQueueSettings(ctx context.Context, centreID int64) (*QueueSettings, error)

	// SaveQueueSettings validates and stores a centre's settings.
	// Supervisors of the centre and administrators. ENOTFOUND for an
	// unknown centre.
	SaveQueueSettings(ctx context.Context, s *QueueSettings) error
}

// Appointment check-in window: from CheckInEarly before the slot's start
// until CheckInLate after it; a booking not checked in by then lapses.
const (
	CheckInEarly = 30 * time.Minute
	CheckInLate  = 10 * time.Minute
)

// Slot is a bookable time at a centre for a service, made from the
// centre's opening hours, its counters and the service's front-office
// minutes. Capacity is how many appointments it takes; Booked how many it
// has.
type Slot struct {
	CentreID    int64     `json:"centre_id"`
	ServiceCode string    `json:"service_code"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Capacity    int       `json:"capacity"`
	Booked      int       `json:"booked"`
}

// Free reports whether the slot can take one more appointment.
func (s *Slot) Free() bool { return s.Booked < s.Capacity }

// AppointmentStatus is where an appointment is:
//
//	booked → checked_in | cancelled | lapsed
type AppointmentStatus string

// Appointment statuses.
const (
	AppointmentBooked    AppointmentStatus = "booked"
	AppointmentCheckedIn AppointmentStatus = "checked_in" // a ticket was issued
	AppointmentCancelled AppointmentStatus = "cancelled"
	AppointmentLapsed    AppointmentStatus = "lapsed" // not checked in by CheckInLate after the slot: a no-show
)

// Appointment is a booked slot at a centre for a service, by the citizen,
// the call centre or staff (Channel: portal, call_centre or centre).
// Checked in at the kiosk it becomes a ticket that enters the queue near
// its booked time. Code is the booking reference the citizen types or
// scans at the kiosk.
type Appointment struct {
	ID          int64              `json:"id"`
	Code        string             `json:"code"`
	CentreID    int64              `json:"centre_id"`
	ServiceCode string             `json:"service_code"`
	Start       time.Time          `json:"start"` // the slot's
	End         time.Time          `json:"end"`
	FIN         FIN                `json:"fin,omitempty"`
	PersonID    int64              `json:"person_id,omitempty"`
	Name        string             `json:"name,omitempty"`
	Phone       string             `json:"phone,omitempty"`
	Language    string             `json:"language"`
	Channel     ApplicationChannel `json:"channel"`
	Status      AppointmentStatus  `json:"status"`
	TicketID    int64              `json:"ticket_id,omitempty"` // once checked in
	BookedBy    int64              `json:"booked_by,omitempty"` // 0: the citizen without an account
	BookedAt    time.Time          `json:"booked_at"`
	CheckedInAt *time.Time         `json:"checked_in_at,omitempty"`
	UpdatedAt   time.Time          `json:"updated_at"`
}

// CheckIn says whether the appointment may be checked in at now. Errors:
// ECONFLICT (code "appointment.not_booked") unless it is booked; EINVALID
// (field "code") with code "check_in.too_early" before CheckInEarly ahead
// of the slot, "check_in.too_late" after CheckInLate past its start.
func (a *Appointment) CheckIn(now time.Time) error {
	if a.Status != AppointmentBooked {
		return &Error{Code: ECONFLICT, Message: "The appointment is " + string(a.Status) + ", not booked.",
			Fields: []FieldError{{Field: "code", Code: "appointment.not_booked", Message: "Not booked."}}}
	}
	if now.Before(a.Start.Add(-CheckInEarly)) {
		return FieldErr("code", "check_in.too_early", "Check-in opens at %s, 30 minutes before the appointment.", a.Start.Add(-CheckInEarly).In(Baku).Format("15:04"))
	}
	if now.After(a.Start.Add(CheckInLate)) {
		return FieldErr("code", "check_in.too_late", "Check-in closed at %s, 10 minutes after the appointment; please book again.", a.Start.Add(CheckInLate).In(Baku).Format("15:04"))
	}
	return nil
}

// NewAppointment is a booking request.
type NewAppointment struct {
	CentreID    int64              `json:"centre_id"`
	ServiceCode string             `json:"service_code"`
	Start       time.Time          `json:"start"` // a slot's start
	FIN         FIN                `json:"fin,omitempty"`
	Name        string             `json:"name,omitempty"`
	Phone       string             `json:"phone,omitempty"`
	Language    string             `json:"language"`
	Channel     ApplicationChannel `json:"channel"`
}

// Validate checks a booking request's shape: a centre, a service code of
// the catalogue's form, a start, a valid FIN if given, single-line name
// and phone, a language, and a channel of portal, call_centre or centre.
func (r *NewAppointment) Validate() error {
	var v Validation
	if r.CentreID <= 0 {
		v.Add("centre_id", "required", "Centre is required.")
	}
	if CategoryOfCode(r.ServiceCode) == "" {
		v.Add("service_code", "service_code.invalid", "Service code %q is not of the form NN-NN-NN-NN.", r.ServiceCode)
	}
	if r.Start.IsZero() {
		v.Add("start", "required", "The slot's start is required.")
	}
	if r.FIN != "" && !r.FIN.Valid() {
		v.Add("fin", "fin.invalid", "FIN is 7 digits and capital Latin letters.")
	}
	v.checkText("name", r.Name, false)
	v.checkText("phone", r.Phone, false)
	if len(r.Name) > 200 {
		v.Add("name", "text.too_long", "Name has at most 200 characters.")
	}
	if len(r.Phone) > 32 {
		v.Add("phone", "text.too_long", "Phone has at most 32 characters.")
	}
	if !ValidLanguage(r.Language) {
		v.Add("language", "language.invalid", "Language must be az, en or ru.")
	}
	switch r.Channel {
	case ApplicationOnline, ApplicationByCallCentre, ApplicationAtCentre:
	default:
		v.Add("channel", "channel.invalid", "An appointment is booked on the portal, by the call centre or at a centre.")
	}
	return v.Err("The booking has errors.")
}

// CancelByCode is a citizen's request to cancel a booking without
// signing in: the booking's code and the phone or FIN given at booking.
type CancelByCode struct {
	Code  string `json:"code"`
	Phone string `json:"phone,omitempty"`
	FIN   FIN    `json:"fin,omitempty"`
}

// Validate checks the request's shape: a code of at most 32 characters
// and a phone or a FIN, single-line.
func (r *CancelByCode) Validate() error {
	var v Validation
	if r.Code == "" {
		v.Add("code", "required", "The booking code is required.")
	} else if len(r.Code) > 32 {
		v.Add("code", "text.too_long", "The booking code has at most 32 characters.")
	}
	v.checkText("code", r.Code, false)
	if r.Phone == "" && r.FIN == "" {
		v.Add("phone", "appointment.second_factor", "Give the phone number or the FIN you booked with.")
	}
	v.checkText("phone", r.Phone, false)
	if len(r.Phone) > 32 {
		v.Add("phone", "text.too_long", "Phone has at most 32 characters.")
	}
	if r.FIN != "" && !r.FIN.Valid() {
		v.Add("fin", "fin.invalid", "FIN is 7 digits and capital Latin letters.")
	}
	return v.Err("The cancellation has errors.")
}

// SlotFilter selects slots of a centre and service between From
// (inclusive) and Until (exclusive).
type SlotFilter struct {
	CentreID    int64
	ServiceCode string
	From        time.Time
	Until       time.Time
	FreeOnly    bool
}

// AppointmentFilter selects appointments; zero fields do not filter.
type AppointmentFilter struct {
	CentreID    int64
	ServiceCode string
	PersonID    int64
	Statuses    []AppointmentStatus
	From        time.Time // slot start, inclusive
	Until       time.Time // exclusive
	Offset      int
	Limit       int
}

// AppointmentService books slots and checks appointments in. Citizens
// book and cancel their own; the call centre and staff book for anyone.
type AppointmentService interface {
	// FindSlots returns the slots of a centre and service in time order.
	// EINVALID for an unknown centre or a service it does not offer.
	FindSlots(ctx context.Context, f SlotFilter) ([]*Slot, error)

	// BookAppointment validates r and books one place in its slot.
	// ECONFLICT (code "slot.full") when the slot has no free place: of two
	// people booking the last place at once exactly one gets it.
	// ECONFLICT (field "start", code "booking.limit_service" or
	// "booking.limit_total") when the person (by FIN, or the signed-in
	// citizen) already holds as many future bookings of the service, or
	// in all, as the limits allow; the message names the booking held.
	// EINVALID
	// for an unknown centre, a service it does not offer, a start that is
	// not a slot's or is past.
	BookAppointment(ctx context.Context, r *NewAppointment) (*Appointment, error)

	// FindAppointmentByID returns an appointment. ENOTFOUND if there is
	// none (or the citizen may not see it).
	FindAppointmentByID(ctx context.Context, id int64) (*Appointment, error)

	// FindAppointments returns matching appointments by slot start, and
	// the total.
	FindAppointments(ctx context.Context, f AppointmentFilter) ([]*Appointment, int, error)

	// CheckInAppointment checks the booking with code in at the kiosk and
	// issues its ticket (Appointment.CheckIn's window and errors).
	// ENOTFOUND for an unknown code.
	CheckInAppointment(ctx context.Context, code string) (*Ticket, error)

	// CancelAppointment cancels a booked appointment and frees its place.
	// ECONFLICT if it is no longer booked.
	CancelAppointment(ctx context.Context, id int64) (*Appointment, error)

	// CancelAppointmentByCode cancels a booking for a citizen without an
	// account: its code and, as a second factor, the phone or the FIN
	// given at booking (CancelByCode). Anyone may call it. ENOTFOUND
	// (field "code", code "appointment.unknown") when no booking has the
	// code with that phone or FIN (a booking that gave neither is
	// cancelled by staff or its signed-in citizen); ECONFLICT (code
	// "appointment.not_booked") if it is no longer booked, e.g. cancelled
	// twice. The freed place is bookable again.
	CancelAppointmentByCode(ctx context.Context, r *CancelByCode) (*Appointment, error)

	// LapseAppointments marks booked appointments whose check-in window
	// closed before now as lapsed and returns how many (the job's work).
	LapseAppointments(ctx context.Context, now time.Time) (int, error)
}

// Certification is an operator's right, earned by training, to serve a
// category of services from ValidFrom to ValidUntil (both inclusive).
// Call-next offers an operator only the services of categories they are
// certified for on the day.
type Certification struct {
	ID         int64     `json:"id"`
	OperatorID int64     `json:"operator_id"` // a user with the operator role
	Category   Category  `json:"category"`
	ValidFrom  Date      `json:"valid_from"`
	ValidUntil Date      `json:"valid_until"`
	Course     string    `json:"course,omitempty"` // the training course completed
	IssuedBy   int64     `json:"issued_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// ValidOn reports whether the certification is in force on day d.
func (c *Certification) ValidOn(d Date) bool {
	return !d.Before(c.ValidFrom) && !d.After(c.ValidUntil)
}

// Validate checks a certification: an operator, a known category, a
// validity of at least one day, a single-line course.
func (c *Certification) Validate() error {
	var v Validation
	if c.OperatorID <= 0 {
		v.Add("operator_id", "required", "Operator is required.")
	}
	known := false
	for _, k := range Categories {
		known = known || k == c.Category
	}
	if !known {
		v.Add("category", "category.invalid", "Unknown service category %q.", c.Category)
	}
	if c.ValidFrom.IsZero() || c.ValidUntil.IsZero() || c.ValidUntil.Before(c.ValidFrom) {
		v.Add("valid_until", "certification.period", "A certification is valid from a day until the same or a later day.")
	}
	v.checkText("course", c.Course, false)
	return v.Err("The certification has errors.")
}

// CertificationFilter selects certifications; zero fields do not filter.
// ValidOn keeps those in force on the day; ExpiringBy those ending on or
// before the day (the renewal reminder's list).
type CertificationFilter struct {
	OperatorID int64
	CentreID   int64 // of operators scoped to this centre
	Category   Category
	ValidOn    Date
	ExpiringBy Date
	Offset     int
	Limit      int
}

// CertificationService records operators' certifications. Administrators
// create and revoke them; supervisors read those of their centres.
type CertificationService interface {
	// FindCertifications returns matching certifications by operator and
	// category, and the total.
	FindCertifications(ctx context.Context, f CertificationFilter) ([]*Certification, int, error)

	// CreateCertification validates and stores c. EINVALID for a user who
	// is not an operator (field "operator_id", code "operator.unknown");
	// ECONFLICT if it overlaps another of the operator's certifications
	// for the category.
	CreateCertification(ctx context.Context, c *Certification) error

	// RevokeCertification ends c on day d (its ValidUntil becomes d − 1
	// day) and marks it revoked: no renewal reminder is sent for it, until
	// a course passed since extends it. ENOTFOUND if unknown.
	RevokeCertification(ctx context.Context, id int64, d Date) error

	// CertifiedCategories returns the categories operator is certified for
	// on day d, in the order of Categories.
	CertifiedCategories(ctx context.Context, operatorID int64, d Date) ([]Category, error)
}

// Feedback is a citizen's rating of a finished visit (a ticket): 1 to 5
// with an optional comment, at most one per visit.
type Feedback struct {
	ID          int64     `json:"id"`
	CentreID    int64     `json:"centre_id"`
	TicketID    int64     `json:"ticket_id"`
	ServiceCode string    `json:"service_code"`
	OperatorID  int64     `json:"operator_id,omitempty"` // who served the visit
	Rating      int       `json:"rating"`
	Comment     string    `json:"comment,omitempty"`
	Channel     string    `json:"channel"` // "tablet" or "sms"
	CreatedAt   time.Time `json:"created_at"`
}

// MaxFeedbackComment is the longest comment accepted, in bytes.
const MaxFeedbackComment = 2000

// NewFeedback is a rating as the tablet page or the SMS link sends it.
// Token is the secret of that visit's link, proving the rater was there.
type NewFeedback struct {
	TicketID int64  `json:"ticket_id"`
	Token    string `json:"token"`
	Rating   int    `json:"rating"`
	Comment  string `json:"comment,omitempty"`
	Channel  string `json:"channel"`
}

// Validate checks a rating's shape: a ticket and token, a rating from 1 to
// 5, a comment of at most MaxFeedbackComment bytes of ValidText (it may
// span lines), a channel of "tablet" or "sms".
func (r *NewFeedback) Validate() error {
	var v Validation
	if r.TicketID <= 0 {
		v.Add("ticket_id", "required", "Ticket is required.")
	}
	if r.Token == "" {
		v.Add("token", "required", "The link's token is required.")
	}
	v.checkText("token", r.Token, false)
	if r.Rating < 1 || r.Rating > 5 {
		v.Add("rating", "rating.range", "Rating is 1 to 5.")
	}
	if len(r.Comment) > MaxFeedbackComment {
		v.Add("comment", "text.too_long", "Comment has at most %d bytes.", MaxFeedbackComment)
	}
	v.checkText("comment", r.Comment, true)
	if r.Channel != "tablet" && r.Channel != "sms" {
		v.Add("channel", "channel.invalid", "Feedback comes from the tablet or an SMS link.")
	}
	return v.Err("The rating has errors.")
}

// FeedbackFilter selects feedback; zero fields do not filter.
type FeedbackFilter struct {
	CentreID    int64
	OperatorID  int64
	ServiceCode string
	From        time.Time // inclusive
	Until       time.Time // exclusive
	Offset      int
	Limit       int
}

// FeedbackService takes citizens' ratings of their visits; supervisors
// read them.
type FeedbackService interface {
	// SubmitFeedback validates r and stores the rating of its visit.
	// ENOTFOUND for an unknown ticket; EFORBIDDEN (code "feedback.token")
	// when the token is not that visit's (a rating for another visit);
	// ECONFLICT (code "feedback.exists") when the visit was rated already,
	// or (code "feedback.not_finished") when it is not finished.
	SubmitFeedback(ctx context.Context, r *NewFeedback) (*Feedback, error)

	// FindFeedback returns matching ratings, newest first, and the total.
	FindFeedback(ctx context.Context, f FeedbackFilter) ([]*Feedback, int, error)
}
