package dost_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dost-az/dost"
)

func TestNextTicketStatus(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, tt := range []struct {
			from   dost.TicketStatus
			action dost.TicketAction
			want   dost.TicketStatus
		}{
			{dost.TicketWaiting, dost.TicketCall, dost.TicketCalled},
			{dost.TicketParked, dost.TicketCall, dost.TicketCalled},
			{dost.TicketCalled, dost.TicketRecall, dost.TicketCalled},
			{dost.TicketCalled, dost.TicketStart, dost.TicketServing},
			{dost.TicketCalled, dost.TicketMarkNoShow, dost.TicketNoShow},
			{dost.TicketServing, dost.TicketFinish, dost.TicketFinished},
			{dost.TicketServing, dost.TicketPark, dost.TicketParked},
			{dost.TicketServing, dost.TicketTransfer, dost.TicketWaiting},
			{dost.TicketWaiting, dost.TicketCancel, dost.TicketCancelled},
		} {
			if got, err := dost.NextTicketStatus(tt.from, tt.action); err != nil || got != tt.want {
				t.Errorf("%s + %s: got %q, %v; want %q", tt.from, tt.action, got, err, tt.want)
			}
		}
	})
	t.Run("ErrFinishedTwice", func(t *testing.T) {
		_, err := dost.NextTicketStatus(dost.TicketFinished, dost.TicketFinish)
		if dost.ErrorCode(err) != dost.ECONFLICT || dost.ErrorFields(err)[0].Code != "ticket_action.not_allowed" {
			t.Errorf("got %v, want conflict ticket_action.not_allowed", err)
		}
	})
	t.Run("ErrUnknownAction", func(t *testing.T) {
		_, err := dost.NextTicketStatus(dost.TicketWaiting, "jump")
		if dost.ErrorCode(err) != dost.EINVALID || dost.ErrorFields(err)[0].Code != "ticket_action.unknown" {
			t.Errorf("got %v, want invalid ticket_action.unknown", err)
		}
	})
	t.Run("FinalStatuses", func(t *testing.T) {
		for _, s := range dost.TicketStatuses {
			if got := dost.AllowedTicketActions(s); (len(got) == 0) == s.Open() {
				t.Errorf("%s: allowed %v, open %v", s, got, s.Open())
			}
		}
		if got, want := dost.AllowedTicketActions(dost.TicketCalled), []dost.TicketAction{dost.TicketRecall, dost.TicketStart, dost.TicketMarkNoShow, dost.TicketTransfer}; !slices.Equal(got, want) {
			t.Errorf("called: got %v, want %v", got, want)
		}
	})
}

func TestTicket_CheckRecall(t *testing.T) {
	s := dost.DefaultQueueSettings(1)
	called := time.Date(2026, 3, 2, 9, 0, 0, 0, dost.Baku)
	tk := &dost.Ticket{Number: "P-001", Status: dost.TicketCalled, CalledAt: &called}
	if err := tk.CheckRecall(called.Add(30*time.Second), s); err != nil {
		t.Errorf("after 30 s: %v", err)
	}
	for name, tt := range map[string]struct {
		status  dost.TicketStatus
		recalls int
		after   time.Duration
		code    string
	}{
		"ErrTooSoon":   {dost.TicketCalled, 0, 29 * time.Second, "ticket.recall_too_soon"},
		"ErrLimit":     {dost.TicketCalled, 3, time.Hour, "ticket.recall_limit"},
		"ErrNotCalled": {dost.TicketServing, 0, time.Hour, "ticket_action.not_allowed"},
	} {
		tk := &dost.Ticket{Number: "P-001", Status: tt.status, CalledAt: &called, Recalls: tt.recalls}
		err := tk.CheckRecall(called.Add(tt.after), s)
		if dost.ErrorCode(err) != dost.ECONFLICT || dost.ErrorFields(err)[0].Code != tt.code {
			t.Errorf("%s: got %v, want conflict %s", name, err, tt.code)
		}
	}
	recalled := called.Add(time.Minute)
	tk.RecalledAt = &recalled
	if err := tk.CheckRecall(recalled.Add(10*time.Second), s); dost.ErrorCode(err) != dost.ECONFLICT {
		t.Errorf("10 s after a recall: got %v, want conflict", err)
	}
}

func TestTicketNumber(t *testing.T) {
	for want, got := range map[string]string{"P-042": dost.TicketNumber("P", 42), "S-001": dost.TicketNumber("S", 1), "D-1000": dost.TicketNumber("D", 1000)} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestAppointment_CheckIn(t *testing.T) {
	slot := time.Date(2026, 3, 2, 10, 0, 0, 0, dost.Baku)
	a := &dost.Appointment{Start: slot, Status: dost.AppointmentBooked}
	for _, at := range []time.Time{slot.Add(-30 * time.Minute), slot, slot.Add(10 * time.Minute)} {
		if err := a.CheckIn(at); err != nil {
			t.Errorf("at %s: %v", at.Format("15:04:05"), err)
		}
	}
	for at, code := range map[time.Time]string{slot.Add(-30*time.Minute - time.Second): "check_in.too_early", slot.Add(10*time.Minute + time.Second): "check_in.too_late"} {
		if err := a.CheckIn(at); dost.ErrorCode(err) != dost.EINVALID || dost.ErrorFields(err)[0].Code != code {
			t.Errorf("at %s: got %v, want %s", at.Format("15:04:05"), err, code)
		}
	}
	a.Status = dost.AppointmentCheckedIn
	if err := a.CheckIn(slot); dost.ErrorCode(err) != dost.ECONFLICT {
		t.Errorf("checked in twice: got %v, want conflict", err)
	}
}

// fieldCodes returns the field codes of err's validation errors.
func fieldCodes(err error) []string {
	var out []string
	for _, f := range dost.ErrorFields(err) {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestQueueValidate(t *testing.T) {
	for name, tt := range map[string]struct {
		v    interface{ Validate() error }
		want []string // field:code, nil for valid
	}{
		"TicketOK":       {&dost.NewTicket{CentreID: 1, ServiceCode: "05-01-01-00", Priority: dost.PriorityAged65, Language: "az"}, nil},
		"TicketErr":      {&dost.NewTicket{ServiceCode: "5-1", Priority: "vip", Language: "de"}, []string{"centre_id:required", "service_code:service_code.invalid", "priority:priority_group.invalid", "language:language.invalid"}},
		"ActionFinishOK": {&dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{"05-01-01-00"}}, nil},
		"ActionFinishErr": {&dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{"05-01-01-00", "05-01-01-00"}},
			[]string{"services_done[1]:service_code.invalid"}},
		"ActionFinishNone":  {&dost.TicketActionRequest{Action: dost.TicketFinish}, []string{"services_done:required"}},
		"ActionTransferErr": {&dost.TicketActionRequest{Action: dost.TicketTransfer}, []string{"service_code:transfer.target"}},
		"ActionUnknown":     {&dost.TicketActionRequest{Action: "fly"}, []string{"action:ticket_action.unknown"}},
		"SettingsOK":        {dost.DefaultQueueSettings(1), nil},
		"SettingsErr": {&dost.QueueSettings{PriorityGroups: []dost.PriorityGroup{dost.PriorityPregnant, dost.PriorityPregnant, ""}, HeadStartMinutes: -1, MaxRecalls: 11},
			[]string{"priority_groups[1]:priority_group.invalid", "priority_groups[2]:priority_group.invalid", "head_start_minutes:queue.head_start", "max_recalls:queue.max_recalls", "service_level_minutes:queue.service_level"}},
		"AppointmentOK": {&dost.NewAppointment{CentreID: 1, ServiceCode: "05-01-01-00", Start: time.Now(), FIN: "5ZK1R2A", Language: "ru", Channel: dost.ApplicationOnline}, nil},
		"AppointmentErr": {&dost.NewAppointment{ServiceCode: "x", FIN: "bad", Name: "a\x00", Language: "az", Channel: dost.ApplicationProactive},
			[]string{"centre_id:required", "service_code:service_code.invalid", "start:required", "fin:fin.invalid", "name:text.invalid", "channel:channel.invalid"}},
		"CertificationOK": {&dost.Certification{OperatorID: 3, Category: dost.CategoryDisability, ValidFrom: dost.MustDate("2026-01-01"), ValidUntil: dost.MustDate("2026-01-01")}, nil},
		"CertificationErr": {&dost.Certification{Category: "cooking", ValidFrom: dost.MustDate("2026-01-02"), ValidUntil: dost.MustDate("2026-01-01")},
			[]string{"operator_id:required", "category:category.invalid", "valid_until:certification.period"}},
		"FeedbackOK": {&dost.NewFeedback{TicketID: 1, Token: "abc", Rating: 5, Comment: "Fast.\nThank you.", Channel: "sms"}, nil},
		"FeedbackErr": {&dost.NewFeedback{Rating: 6, Comment: string(make([]byte, dost.MaxFeedbackComment+1)), Channel: "email"},
			[]string{"ticket_id:required", "token:required", "rating:rating.range", "comment:text.too_long", "comment:text.invalid", "channel:channel.invalid"}},
	} {
		err := tt.v.Validate()
		if got := fieldCodes(err); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", name, got, tt.want)
		}
		if tt.want != nil && dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("%s: code %q, want invalid", name, dost.ErrorCode(err))
		}
	}
}

func TestCertification_ValidOn(t *testing.T) {
	c := &dost.Certification{ValidFrom: dost.MustDate("2026-01-01"), ValidUntil: dost.MustDate("2026-12-31")}
	for d, want := range map[string]bool{"2025-12-31": false, "2026-01-01": true, "2026-12-31": true, "2027-01-01": false} {
		if got := c.ValidOn(dost.MustDate(d)); got != want {
			t.Errorf("%s: got %v, want %v", d, got, want)
		}
	}
}

func TestQueueSettings_Offers(t *testing.T) {
	s := &dost.QueueSettings{PriorityGroups: []dost.PriorityGroup{dost.PriorityDisability}}
	if !s.Offers(dost.PriorityNone) || !s.Offers(dost.PriorityDisability) || s.Offers(dost.PriorityPregnant) {
		t.Errorf("Offers: none, disability offered and pregnant not, got %v %v %v", s.Offers(dost.PriorityNone), s.Offers(dost.PriorityDisability), s.Offers(dost.PriorityPregnant))
	}
}

func TestCallReason_String(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, dost.Baku)
	for want, r := range map[string]dost.CallReason{
		"appointment at 10:00 (counted from 10 min before), waited 3 min, ahead of 2 issued earlier, the longest among 2 services you are certified for": {
			Code: dost.ReasonAppointment, AppointmentAt: &at, AppointmentLeadSeconds: 600, WaitedSeconds: 200, Passed: 2, Services: 2},
		"called by number, waited 40 min": {Code: dost.ReasonByNumber, WaitedSeconds: 2400},
	} {
		if got := r.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
