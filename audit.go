package dost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditAction is what an audit event records someone doing.
type AuditAction string

// Audit actions.
const (
	AuditRead    AuditAction = "read"     // staff read a person's record
	AuditCreate  AuditAction = "create"   // a POST that succeeded
	AuditUpdate  AuditAction = "update"   // a PUT or PATCH that succeeded
	AuditDelete  AuditAction = "delete"   // a DELETE that succeeded
	AuditSignIn  AuditAction = "sign_in"  // a session opened
	AuditSignOut AuditAction = "sign_out" // a session ended
	AuditDenied  AuditAction = "denied"   // a signed-in user was refused (403)
)

// AuditActions lists the actions, for filters and forms.
var AuditActions = []AuditAction{AuditRead, AuditCreate, AuditUpdate, AuditDelete, AuditSignIn, AuditSignOut, AuditDenied}

// ValidAuditAction reports whether a is a known action.
func ValidAuditAction(a AuditAction) bool { return slices.Contains(AuditActions, a) }

// AuditReaders are the roles that read the audit trail.
var AuditReaders = []Role{RoleAuditor, RoleAdmin}

// ReadsAudit reports whether u may read the whole audit trail (auditors
// and administrators). A nil u may not.
func (u *User) ReadsAudit() bool {
	if u == nil {
		return false
	}
	return slices.ContainsFunc(AuditReaders, u.HasRole)
}

// Limits of an audit event's free texts, in bytes; longer texts are cut
// (at a rune boundary) when recorded, never refused: an audit entry must
// not fail because a client sent a long header.
const (
	MaxAuditReason = 500
	MaxAuditDetail = 500
	MaxAuditShort  = 200 // names, kinds, ids, IPs, request ids, routes
)

// GenesisHash is the previous hash of the first event of the chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditTimeLayout is the form of an event's time in its canonical
// encoding: UTC with exactly six fractional digits (microseconds, the
// precision PostgreSQL keeps), so both databases give the same bytes.
const AuditTimeLayout = "2006-01-02T15:04:05.000000Z"

// AuditEvent is one entry of the audit trail: who did what to which
// record, when, from where and why. Events are appended, never changed:
// Seq numbers them from 1 without gaps, and Hash chains each to the one
// before (see CanonicalBytes and ChainHash), so a changed, removed or
// inserted event shows.
type AuditEvent struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"` // UTC, microseconds

	// The actor: the signed-in user (0 and empty for nobody), with the
	// name, roles and centres they had at the time.
	ActorID        int64   `json:"actor_id"`
	ActorName      string  `json:"actor_name"`
	ActorRoles     []Role  `json:"actor_roles"`
	ActorCentreIDs []int64 `json:"actor_centre_ids"`

	Action     AuditAction `json:"action"`
	ObjectKind string      `json:"object_kind"` // e.g. "person", "application"
	ObjectID   string      `json:"object_id"`   // e.g. a person's or application's id; never a FIN
	// PersonID is the person the record concerns, 0 if none.
	PersonID int64 `json:"person_id"`

	IP        string `json:"ip"`
	RequestID string `json:"request_id"`
	Route     string `json:"route"`  // the route pattern, e.g. "GET /api/v1/persons/{fin}"
	Reason    string `json:"reason"` // why a person outside one's centres was read
	Detail    string `json:"detail"` // a short note: path values, the status

	PrevHash string `json:"prev_hash"` // hex SHA-256 of the event before, GenesisHash for the first
	Hash     string `json:"hash"`      // hex SHA-256 of PrevHash and CanonicalBytes
}

// Normalize prepares e for recording: the time in UTC cut to
// microseconds, texts cut to their limits and stripped of control
// characters, roles and centres sorted.
func (e *AuditEvent) Normalize() {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.ActorName = auditText(e.ActorName, MaxAuditShort)
	e.ObjectKind = auditText(e.ObjectKind, MaxAuditShort)
	e.ObjectID = auditText(e.ObjectID, MaxAuditShort)
	e.IP = auditText(e.IP, MaxAuditShort)
	e.RequestID = auditText(e.RequestID, MaxAuditShort)
	e.Route = auditText(e.Route, MaxAuditShort)
	e.Reason = auditText(e.Reason, MaxAuditReason)
	e.Detail = auditText(e.Detail, MaxAuditDetail)
	e.ActorRoles = slices.Clone(e.ActorRoles)
	slices.Sort(e.ActorRoles)
	e.ActorCentreIDs = slices.Clone(e.ActorCentreIDs)
	slices.Sort(e.ActorCentreIDs)
}

// Validate checks what Record needs: a known action.
func (e *AuditEvent) Validate() error {
	var v Validation
	if !ValidAuditAction(e.Action) {
		v.Add("action", "audit.action_invalid", "Unknown audit action %q.", e.Action)
	}
	return v.Err("The audit event has errors.")
}

// auditText makes s valid single-line text of at most n bytes: invalid
// UTF-8 and control characters become spaces, surrounding space goes.
func auditText(s string, n int) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// CanonicalBytes is the encoding of e that its hash covers: the fields in
// this order, each written as its decimal byte length, a colon, the bytes
// and a newline (a netstring-like form, so no value can be mistaken for
// another's boundary):
//
//	"dost-audit-v1", seq, time (AuditTimeLayout), actor_id, actor_name,
//	actor_roles (sorted, joined by ","), actor_centre_ids (sorted, decimal,
//	joined by ","), action, object_kind, object_id, person_id, ip,
//	request_id, route, reason, detail
//
// Numbers are decimal without leading zeros. The hash and previous hash
// are not part of it. Call Normalize first; the stored event is normalised.
func (e *AuditEvent) CanonicalBytes() []byte {
	b := make([]byte, 0, 256+len(e.Reason)+len(e.Detail))
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		b = append(b, '\n')
	}
	roles := make([]string, len(e.ActorRoles))
	for i, r := range e.ActorRoles {
		roles[i] = string(r)
	}
	centres := make([]string, len(e.ActorCentreIDs))
	for i, c := range e.ActorCentreIDs {
		centres[i] = strconv.FormatInt(c, 10)
	}
	field("dost-audit-v1")
	field(strconv.FormatInt(e.Seq, 10))
	field(e.Time.UTC().Format(AuditTimeLayout))
	field(strconv.FormatInt(e.ActorID, 10))
	field(e.ActorName)
	field(strings.Join(roles, ","))
	field(strings.Join(centres, ","))
	field(string(e.Action))
	field(e.ObjectKind)
	field(e.ObjectID)
	field(strconv.FormatInt(e.PersonID, 10))
	field(e.IP)
	field(e.RequestID)
	field(e.Route)
	field(e.Reason)
	field(e.Detail)
	return b
}

// ChainHash returns the hash e must have after prevHash: the lower-case
// hex SHA-256 of prevHash (its 64 hex characters) followed by
// e.CanonicalBytes().
func (e *AuditEvent) ChainHash(prevHash string) string {
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write(e.CanonicalBytes())
	return hex.EncodeToString(h.Sum(nil))
}

// AuditFilter selects audit events; nil and zero fields do not filter.
type AuditFilter struct {
	PersonID  *int64       // the person concerned
	PersonFIN *FIN         // the person concerned, by FIN (no match if unknown)
	ActorID   *int64       // the actor
	Action    *AuditAction // one action
	From, To  *time.Time   // From ≤ time < To
	// Offset and Limit page the events, newest first.
	Offset int
	Limit  int
}

// AuditBreak is the first broken link of the chain that Verify finds.
type AuditBreak struct {
	Seq    int64  `json:"seq"`    // the first event whose link does not hold
	Reason string `json:"reason"` // what differs
}

// AuditCheck is the answer of Verify.
type AuditCheck struct {
	Count    int64       `json:"count"`     // events checked
	HeadSeq  int64       `json:"head_seq"`  // the chain head's last seq
	HeadHash string      `json:"head_hash"` // and hash
	Broken   *AuditBreak `json:"broken,omitempty"`
}

// OK reports whether the chain held.
func (c *AuditCheck) OK() bool { return c.Broken == nil }

// AuditService keeps the audit trail. It is safe for concurrent use, also
// by several nodes on one database: appends are serialised, so the chain
// never forks.
type AuditService interface {
	// Record appends e (normalised; Seq, PrevHash and Hash are set) and
	// returns when it is committed. A zero Time takes the database's
	// clock. EINVALID for an unknown action.
	Record(ctx context.Context, e *AuditEvent) error

	// FindAuditEvents returns the matching events, newest first, and
	// their total. For auditors and administrators (the caller checks).
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)

	// ViewsOfPerson returns the staff reads of a person's record, newest
	// first, and their total: what the person's "who viewed my data"
	// page lists.
	ViewsOfPerson(ctx context.Context, personID int64, offset, limit int) ([]*AuditEvent, int, error)

	// Verify walks the whole chain in seq order, streaming, and checks
	// every link: seq without gaps, each PrevHash the hash before, each
	// Hash recomputed, the last one the chain head's. The first link that
	// does not hold is AuditCheck.Broken; the error is for failures to
	// read only.
	Verify(ctx context.Context) (*AuditCheck, error)

	// PersonScope answers, for a read of the person with the FIN by a
	// staff member scoped to centreIDs, the person's id (0 if there is no
	// such person) and whether the person is "of" one of those centres
	// (see PersonOfCentres). An empty centreIDs means every centre.
	PersonScope(ctx context.Context, fin FIN, centreIDs []int64) (personID int64, ofCentres bool, err error)

	// ApplicationScope is PersonScope for the person an application is
	// for.
	ApplicationScope(ctx context.Context, applicationID int64, centreIDs []int64) (personID int64, ofCentres bool, err error)

	// RecentReason returns the reason the actor gave, within the window
	// before now, for reading the person's record, or "" if none: a
	// reason given once covers the record's pages for a while.
	RecentReason(ctx context.Context, actorID, personID int64, window time.Duration) (string, error)
}

// PersonOfCentres documents what makes a person "of" a centre, for the
// rule that staff scoped to centres give a reason to read anyone else: the
// person lives in the centre's district (person and centre have the same
// non-empty region and district), or has an application handled at the
// centre, or an appointment booked at it. Tickets name no person and
// awards no centre, so they do not count.
const PersonOfCentres = "district, application or appointment"
