package dost_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dost-az/dost"
)

// goldenEvent is an event whose canonical encoding and hash are pinned:
// changing the encoding breaks every stored chain, so it must show here.
func goldenEvent() *dost.AuditEvent {
	return &dost.AuditEvent{
		Seq: 1, Time: time.Date(2026, 11, 27, 8, 15, 30, 123456789, time.FixedZone("AZT", 4*3600)),
		ActorID: 7, ActorName: "Aysel Məmmədova", ActorRoles: []dost.Role{dost.RoleOperator, dost.RoleCaseWorker},
		ActorCentreIDs: []int64{3, 1}, Action: dost.AuditRead, ObjectKind: "person", ObjectID: "42", PersonID: 42,
		IP: "10.0.0.1", RequestID: "ab12-1", Route: "GET /api/v1/persons/{fin}", Reason: "walk-in", Detail: "status=200",
	}
}

func TestAuditEvent_Canonical(t *testing.T) {
	e := goldenEvent()
	e.Normalize()
	want := "13:dost-audit-v1\n1:1\n27:2026-11-27T04:15:30.123456Z\n1:7\n17:Aysel Məmmədova\n19:caseworker,operator\n3:1,3\n" +
		"4:read\n6:person\n2:42\n2:42\n8:10.0.0.1\n6:ab12-1\n25:GET /api/v1/persons/{fin}\n7:walk-in\n10:status=200\n"
	if got := string(e.CanonicalBytes()); got != want {
		t.Fatalf("canonical bytes:\ngot  %q\nwant %q", got, want)
	}
	got := e.ChainHash(dost.GenesisHash)
	if len(got) != 64 || strings.ToLower(got) != got {
		t.Fatalf("hash %q: want 64 lower-case hex digits", got)
	}
	if got != goldenHash {
		t.Errorf("hash: got %s, want %s", got, goldenHash)
	}
	// Any field, and the previous hash, changes the hash.
	for name, change := range map[string]func(e *dost.AuditEvent){
		"seq":    func(e *dost.AuditEvent) { e.Seq = 2 },
		"time":   func(e *dost.AuditEvent) { e.Time = e.Time.Add(time.Microsecond) },
		"actor":  func(e *dost.AuditEvent) { e.ActorID = 8 },
		"roles":  func(e *dost.AuditEvent) { e.ActorRoles = e.ActorRoles[:1] },
		"person": func(e *dost.AuditEvent) { e.PersonID = 0 },
		"reason": func(e *dost.AuditEvent) { e.Reason = "" },
		// Moving text between neighbouring fields must not keep the bytes.
		"boundary": func(e *dost.AuditEvent) { e.Reason, e.Detail = "walk-in\n10:status=200", "" },
	} {
		x := goldenEvent()
		x.Normalize()
		change(x)
		if x.ChainHash(dost.GenesisHash) == goldenHash {
			t.Errorf("%s changed: the hash did not", name)
		}
	}
	if e.ChainHash(strings.Repeat("1", 64)) == goldenHash {
		t.Errorf("another previous hash: the hash did not change")
	}
}

// goldenHash is goldenEvent's hash after GenesisHash, computed apart from
// dost (Python's hashlib over the bytes above).
const goldenHash = "5fbf3645c26a8976477d450b6f740921b8f17ced7429de18f5159947a4cd1b18"

func TestAuditEvent_Validate(t *testing.T) {
	if err := goldenEvent().Validate(); err != nil {
		t.Fatal(err)
	}
	e := goldenEvent()
	e.Action = "peek"
	if dost.ErrorCode(e.Validate()) != dost.EINVALID {
		t.Fatalf("unknown action: got %v", e.Validate())
	}
}

// FuzzAuditNormalize checks that Normalize leaves valid single-line text
// within the limits, is idempotent, and that the canonical encoding of
// two events differing in reason and detail differs.
func FuzzAuditNormalize(f *testing.F) {
	for _, s := range []string{"", "walk-in", "a\nb", "\xff\xfe", strings.Repeat("ə", 400), "1:x\n", "  \t "} {
		f.Add(s, "status=200")
	}
	f.Fuzz(func(t *testing.T, reason, detail string) {
		e := goldenEvent()
		e.Reason, e.Detail = reason, detail
		e.Normalize()
		for _, s := range []string{e.Reason, e.Detail} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00") || len(s) > dost.MaxAuditReason || s != strings.TrimSpace(s) {
				t.Fatalf("Normalize(%q, %q): got %q, %q", reason, detail, e.Reason, e.Detail)
			}
		}
		b := string(e.CanonicalBytes())
		again := *e
		again.Normalize()
		if string(again.CanonicalBytes()) != b {
			t.Fatalf("Normalize is not idempotent for %q, %q", reason, detail)
		}
		swapped := *e
		swapped.Reason, swapped.Detail = e.Detail, e.Reason
		if e.Reason != e.Detail && string(swapped.CanonicalBytes()) == b {
			t.Fatalf("reason and detail swapped give the same bytes: %q, %q", e.Reason, e.Detail)
		}
	})
}
