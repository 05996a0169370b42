package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

// TestNextStatus_Exhaustive checks the whole state machine of an
// application, every status × every action, against the issue's:
// submitted → in review → (information requested ⇄ in review) → approved
// | refused → (appealed → upheld | overturned) → closed; withdrawn by the
// applicant at any time before a decision. Anything not in the table is
// ECONFLICT with the field error action/application_action.not_allowed.
func TestNextStatus_Exhaustive(t *testing.T) {
	type (
		S = dost.ApplicationStatus
		A = dost.ApplicationAction
	)
	allowed := map[S]map[A]S{
		dost.ApplicationSubmitted: {
			dost.ActionReview:   dost.ApplicationInReview,
			dost.ActionWithdraw: dost.ApplicationWithdrawn,
		},
		dost.ApplicationInReview: {
			dost.ActionRequestInformation: dost.ApplicationInformationRequested,
			dost.ActionApprove:            dost.ApplicationApproved,
			dost.ActionRefuse:             dost.ApplicationRefused,
			dost.ActionWithdraw:           dost.ApplicationWithdrawn,
		},
		dost.ApplicationInformationRequested: {
			dost.ActionProvideInformation: dost.ApplicationInReview,
			dost.ActionWithdraw:           dost.ApplicationWithdrawn,
		},
		dost.ApplicationApproved: {
			dost.ActionAppeal: dost.ApplicationAppealed,
			dost.ActionClose:  dost.ApplicationClosed,
		},
		dost.ApplicationRefused: {
			dost.ActionAppeal: dost.ApplicationAppealed,
			dost.ActionClose:  dost.ApplicationClosed,
		},
		dost.ApplicationAppealed: {
			dost.ActionUphold:   dost.ApplicationUpheld,
			dost.ActionOverturn: dost.ApplicationOverturned,
		},
		dost.ApplicationUpheld:     {dost.ActionClose: dost.ApplicationClosed},
		dost.ApplicationOverturned: {dost.ActionClose: dost.ApplicationClosed},
		dost.ApplicationClosed:     {},
		dost.ApplicationWithdrawn:  {},
	}
	if len(dost.ApplicationStatuses) != len(allowed) {
		t.Fatalf("%d statuses, the table has %d: add the new ones to it", len(dost.ApplicationStatuses), len(allowed))
	}
	if len(dost.ApplicationActions) != 10 {
		t.Fatalf("%d actions, the table knows 10: add the new ones to it", len(dost.ApplicationActions))
	}
	for _, from := range dost.ApplicationStatuses {
		row, ok := allowed[from]
		if !ok {
			t.Fatalf("status %s is not in the table", from)
		}
		var wantActions []A
		for _, action := range dost.ApplicationActions {
			got, err := dost.NextStatus(from, action)
			want, ok := row[action]
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("%s × %s = %q, %v; want %s", from, action, got, err, want)
			case !ok && (dost.ErrorCode(err) != dost.ECONFLICT || got != ""):
				t.Errorf("%s × %s = %q, %v; want ECONFLICT", from, action, got, err)
			case !ok:
				fs := dost.ErrorFields(err)
				if len(fs) != 1 || fs[0].Field != "action" || fs[0].Code != "application_action.not_allowed" {
					t.Errorf("%s × %s: fields %+v, want action/application_action.not_allowed", from, action, fs)
				}
			}
			if ok {
				wantActions = append(wantActions, action)
			}
		}
		if got := dost.AllowedActions(from); len(got) != len(wantActions) {
			t.Errorf("AllowedActions(%s) = %v, want %v", from, got, wantActions)
		}
		// Withdrawal is possible exactly before a decision, while open.
		if _, ok := row[dost.ActionWithdraw]; ok != from.Open() {
			t.Errorf("%s: withdraw allowed %v, Open %v", from, ok, from.Open())
		}
	}
	if _, err := dost.NextStatus(dost.ApplicationSubmitted, "fly"); dost.ErrorCode(err) != dost.EINVALID {
		t.Errorf("unknown action: %v, want EINVALID", err)
	}
}
