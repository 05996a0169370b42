package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// videoSetup makes a video centre (hallSetup's, of kind video) with one
// ticket and its call, and n interpreters of sign language.
func videoSetup(t *testing.T, db *sqlstore.DB, n int) (*sqlstore.VideoStore, *dost.Centre, *dost.Ticket, *dost.VideoCall, []*dost.User) {
	t.Helper()
	hs, c, ops := hallSetup(t, db, 1)
	vs := sqlstore.NewVideoStore(db)
	if kind, err := vs.CentreKind(ctx, c.ID); err != nil || kind != dost.CentreHall {
		t.Fatalf("a new centre's kind: got %q, %v; want hall", kind, err)
	}
	ok(t, vs.SetCentreKind(ctx, c.ID, dost.CentreVideo))
	if kind, _ := vs.CentreKind(ctx, c.ID); kind != dost.CentreVideo {
		t.Fatalf("kind: got %q, want video", kind)
	}
	tk := newTicket(c)
	ok(t, hs.IssueTicket(ctx, tk))
	call, err := vs.CreateCall(ctx, &dost.NewVideoCall{TicketID: tk.ID, CentreID: c.ID, PersonID: 7, Name: "Murad", Channel: "portal", Language: "az"})
	ok(t, err)
	users := sqlstore.NewUserService(db)
	today := dost.DateOf(db.Clock().Now().In(dost.Baku))
	var interpreters []*dost.User
	for i := range n {
		u := &dost.User{Username: fmt.Sprintf("interp%02d", i), Roles: []dost.Role{dost.RoleOperator}}
		ok(t, users.CreateUser(ctx, u, ""))
		ok(t, vs.CertifyInterpreter(ctx, &dost.InterpreterCertification{UserID: u.ID, Language: "sign", ValidFrom: today, ValidUntil: today.AddDate(1, 0, 0)}))
		interpreters = append(interpreters, u)
	}
	_ = ops
	return vs, c, tk, call, interpreters
}

// TestVideoStore walks a call through the store: participants, consent,
// quality, chat, interpretation, end.
func TestVideoStore(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		vs, c, tk, call, interps := videoSetup(t, db, 1)
		if len(call.Participants) != 1 || call.Participants[0].Role != dost.VideoCitizen || call.Participants[0].PersonID != 7 {
			t.Fatalf("a new call's participants: %+v", call.Participants)
		}
		if _, err := vs.CreateCall(ctx, &dost.NewVideoCall{TicketID: tk.ID, CentreID: c.ID, Channel: "kiosk", Language: "az"}); dost.ErrorCode(err) != dost.ECONFLICT {
			t.Errorf("a second call of the ticket: got %v, want conflict", err)
		}
		if err := vs.SetCentreKind(ctx, c.ID, "garage"); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("unknown kind: got %v, want invalid", err)
		}

		op, err := vs.JoinCall(ctx, call.ID, &dost.VideoParticipant{Role: dost.VideoOperator, UserID: 42, Name: "Operator"})
		ok(t, err)
		again, err := vs.JoinCall(ctx, call.ID, &dost.VideoParticipant{Role: dost.VideoOperator, UserID: 42})
		ok(t, err)
		if again.ID != op.ID || again.Name != "Operator" {
			t.Errorf("joining again: got %+v, want participant %d named Operator", again, op.ID)
		}
		// The citizen is one participant however they connect.
		cit, err := vs.JoinCall(ctx, call.ID, &dost.VideoParticipant{Role: dost.VideoCitizen, UserID: 99})
		ok(t, err)
		if cit.ID != call.Participants[0].ID || cit.Name != "Murad" {
			t.Errorf("the citizen again: got %+v, want participant %d", cit, call.Participants[0].ID)
		}
		ok(t, vs.LeaveCall(ctx, cit.ID))

		got, err := vs.SetConsent(ctx, call.ID, true)
		ok(t, err)
		if got.Consent != dost.ConsentGranted || got.ConsentAt == nil || got.ConnectedAt == nil {
			t.Errorf("after consent: %+v", got)
		}
		ok(t, vs.AddQuality(ctx, call.ID, dost.VideoQuality{RTTMs: 100, Loss: 0.1, Kbps: 500}))
		ok(t, vs.AddQuality(ctx, call.ID, dost.VideoQuality{RTTMs: 300, Loss: 0, Kbps: 100, AudioOnly: true}))
		if err := vs.AddQuality(ctx, call.ID, dost.VideoQuality{Loss: 2}); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("loss 2: got %v, want invalid", err)
		}
		ok(t, vs.AddChat(ctx, call.ID, op.ID, "Salam"))
		if err := vs.AddChat(ctx, call.ID, op.ID, "   "); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("empty chat: got %v, want invalid", err)
		}

		if _, err := vs.RequestInterpretation(ctx, call.ID, "klingon", dost.VideoOperator, 42); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("unknown language: got %v, want invalid", err)
		}
		x, err := vs.RequestInterpretation(ctx, call.ID, "sign", dost.VideoOperator, 42)
		ok(t, err)
		if _, err := vs.RequestInterpretation(ctx, call.ID, "sign", dost.VideoCitizen, 0); dost.ErrorCode(err) != dost.ECONFLICT {
			t.Errorf("a second open request: got %v, want conflict", err)
		}
		list, total, err := vs.FindInterpretations(ctx, dost.InterpretationFilter{Status: dost.InterpretationWaiting, Languages: []string{"sign"}})
		ok(t, err)
		if total != 1 || len(list) != 1 || list[0].ID != x.ID || list[0].TicketID != tk.ID {
			t.Errorf("queue: got %d %+v", total, list)
		}
		if _, total, _ := vs.FindInterpretations(ctx, dost.InterpretationFilter{Status: dost.InterpretationWaiting, Languages: []string{"ru"}}); total != 0 {
			t.Errorf("queue in ru: got %d, want 0", total)
		}
		if _, err := vs.AcceptInterpretation(ctx, x.ID, 42); dost.ErrorCode(err) != dost.EFORBIDDEN {
			t.Errorf("accept by an uncertified user: got %v, want forbidden", err)
		}
		acc, err := vs.AcceptInterpretation(ctx, x.ID, interps[0].ID)
		ok(t, err)
		if acc.Status != dost.InterpretationAccepted || acc.InterpreterID != interps[0].ID || acc.AcceptedAt == nil {
			t.Errorf("accepted: %+v", acc)
		}

		ended, err := vs.EndCall(ctx, call.ID, 42)
		ok(t, err)
		q := ended.Quality
		if ended.EndedAt == nil || ended.EndedBy != 42 || q.Samples != 2 || q.AvgRTTMs != 200 || q.MaxRTTMs != 300 ||
			q.MaxLoss != 0.1 || q.AvgKbps != 300 || q.AudioOnlySamples != 1 || ended.ChatMessages != 1 {
			t.Errorf("ended: %+v quality %+v", ended, q)
		}
		if ended.Interpretation == nil || ended.Interpretation.Status != dost.InterpretationClosed {
			t.Errorf("the request after the end: %+v", ended.Interpretation)
		}
		for _, p := range ended.Participants {
			if p.LeftAt == nil {
				t.Errorf("participant %d present after the end", p.ID)
			}
		}
		if ended.Duration(db.Clock().Now()) < 0 {
			t.Errorf("duration %v", ended.Duration(db.Clock().Now()))
		}
		if _, err := vs.EndCall(ctx, call.ID, 42); dost.ErrorCode(err) != dost.ECONFLICT {
			t.Errorf("end twice: got %v, want conflict", err)
		}
		if _, err := vs.SetConsent(ctx, call.ID, false); dost.ErrorCode(err) != dost.ECONFLICT {
			t.Errorf("consent after the end: got %v, want conflict", err)
		}
		if _, err := vs.JoinCall(ctx, call.ID, &dost.VideoParticipant{Role: dost.VideoOperator, UserID: 42}); dost.ErrorCode(err) != dost.ECONFLICT {
			t.Errorf("join after the end: got %v, want conflict", err)
		}
		if _, err := vs.FindCallByTicket(ctx, tk.ID+1000); dost.ErrorCode(err) != dost.ENOTFOUND {
			t.Errorf("a ticket without a call: got %v, want not found", err)
		}
	})
}

// TestVideoStore_AcceptRace has interpreters accept the same request at
// once, many times over: exactly one wins each time, the others are told
// it was taken.
func TestVideoStore_AcceptRace(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		const interpreters, rounds = 4, 10
		vs, c, _, _, interps := videoSetup(t, db, interpreters)
		hs := sqlstore.NewHallStore(db)
		for round := range rounds {
			tk := newTicket(c)
			ok(t, hs.IssueTicket(ctx, tk))
			call, err := vs.CreateCall(ctx, &dost.NewVideoCall{TicketID: tk.ID, CentreID: c.ID, Channel: "kiosk", Language: "az"})
			ok(t, err)
			x, err := vs.RequestInterpretation(ctx, call.ID, "sign", dost.VideoCitizen, 0)
			ok(t, err)
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, interpreters)
			for i, u := range interps {
				wg.Go(func() {
					<-start
					_, errs[i] = vs.AcceptInterpretation(ctx, x.ID, u.ID)
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case dost.ErrorCode(err) != dost.ECONFLICT:
					t.Errorf("round %d, interpreter %d: got %v, want nil or conflict", round, i, err)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d interpreters won, want exactly 1 (%v)", round, won, errs)
			}
			list, _, err := vs.FindInterpretations(ctx, dost.InterpretationFilter{CallID: call.ID})
			ok(t, err)
			if len(list) != 1 || list[0].Status != dost.InterpretationAccepted || list[0].InterpreterID == 0 {
				t.Fatalf("round %d: stored %+v", round, list)
			}
		}
	})
}

// TestVideoStore_RatingSMS ends the call of a finished portal ticket: the
// citizen's phone gets the rating SMS, once.
func TestVideoStore_RatingSMS(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		vs, c, _, _, _ := videoSetup(t, db, 0)
		hs := sqlstore.NewHallStore(db)
		p := person("5PQ6RS7", "Aysel", "Quliyeva", "1990-01-02")
		createPersons(t, db, p)
		vs.RatingSMS = func(t *dost.Ticket, phone string, personID int64) *dost.Notification {
			return &dost.Notification{MessageID: "visit.rating:" + fmt.Sprint(t.ID) + ":sms", PersonID: personID,
				Channel: dost.NotifySMS, To: phone, Language: "az", Topic: "visit.rating", Body: "Rate " + t.Number}
		}
		tk := newTicket(c)
		ok(t, hs.IssueTicket(ctx, tk))
		call, err := vs.CreateCall(ctx, &dost.NewVideoCall{TicketID: tk.ID, CentreID: c.ID, PersonID: p.ID, Channel: "portal", Language: "az"})
		ok(t, err)
		called, _, err := hs.CallNext(ctx, c.Counters[0].ID, firstOperator(t, db))
		ok(t, err)
		if called.ID != tk.ID {
			// hallSetup's centre may hold videoSetup's first ticket: call again.
			ok(t, finish(hs, called))
			called, _, err = hs.CallNext(ctx, c.Counters[0].ID, firstOperator(t, db))
			ok(t, err)
		}
		ok(t, finish(hs, called))
		_, err = vs.EndCall(ctx, call.ID, 0)
		ok(t, err)
		var n int
		var to string
		ok(t, db.WriterDB().QueryRowContext(ctx, `SELECT count(*), max(recipient) FROM notifications WHERE topic = 'visit.rating'`).Scan(&n, &to))
		if n != 1 || to != p.Phone {
			t.Errorf("rating SMS: got %d to %q, want 1 to %s", n, to, p.Phone)
		}
	})
}

// firstOperator returns hallSetup's operator.
func firstOperator(t *testing.T, db *sqlstore.DB) int64 {
	t.Helper()
	u, err := sqlstore.NewUserService(db).FindUserByUsername(ctx, "op000")
	ok(t, err)
	return u.ID
}

// finish starts and finishes a called ticket at its operator's counter.
func finish(hs *sqlstore.HallStore, tk *dost.Ticket) error {
	if _, err := hs.ActOnTicket(ctx, tk.ID, tk.OperatorID, dost.TicketActionRequest{Action: dost.TicketStart}); err != nil {
		return err
	}
	_, err := hs.ActOnTicket(ctx, tk.ID, tk.OperatorID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{tk.ServiceCode}})
	return err
}
