package dost

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Centre kinds. A centre of kind CentreVideo is a Smart DOST video centre:
// its counters are video desks, its tickets video tickets, and its
// operators serve citizens by a browser-to-browser call instead of at a
// window. Issuing, calling, finishing and rating are the hall's, unchanged.
const (
	CentreHall  = "hall"
	CentreVideo = "video"
)

// VideoRole is a participant's part in a video call.
type VideoRole string

// Video roles.
const (
	VideoCitizen     VideoRole = "citizen"     // the ticket's visitor
	VideoOperator    VideoRole = "operator"    // the operator who called the ticket
	VideoInterpreter VideoRole = "interpreter" // the interpreter who accepted the call's request
)

// VideoRoles lists the roles.
var VideoRoles = []VideoRole{VideoCitizen, VideoOperator, VideoInterpreter}

// VideoCallStatus is where a call is: waiting while its ticket waits to be
// called, active once an operator called it, ended after the hang-up (or
// once its ticket left the hall another way).
type VideoCallStatus string

// Video call statuses.
const (
	VideoWaiting VideoCallStatus = "waiting"
	VideoActive  VideoCallStatus = "active"
	VideoEnded   VideoCallStatus = "ended"
)

// Consent to recording. A call is never recorded unless the citizen
// granted consent in the call.
const (
	ConsentNotAsked = ""
	ConsentGranted  = "granted"
	ConsentRefused  = "refused"
)

// InterpretationLanguages are the languages an interpreter is certified
// for and a call asks for: "sign" is Azerbaijani Sign Language; az, en
// and ru are spoken-language interpreting.
var InterpretationLanguages = []string{"sign", "az", "en", "ru"}

// ValidInterpretationLanguage reports whether l is one of
// InterpretationLanguages.
func ValidInterpretationLanguage(l string) bool { return slices.Contains(InterpretationLanguages, l) }

// VideoCall is the call of one video ticket: created when the citizen
// joins the video queue, ended by the operator's hang-up. Its metadata
// (who, when, how long, quality, consent) goes to the audit trail at the
// end; the media never pass through dost except relayed by its TURN
// server, and are never recorded unless the citizen consents.
type VideoCall struct {
	ID       int64 `json:"id"`
	TicketID int64 `json:"ticket_id"`
	CentreID int64 `json:"centre_id"`
	// PersonID is the citizen's person when they joined from the portal;
	// 0 from a Smart DOST point's kiosk.
	PersonID int64 `json:"person_id,omitempty"`
	// Channel is "portal" or "kiosk".
	Channel  string `json:"channel"`
	Language string `json:"language"`
	// Consent is ConsentNotAsked, ConsentGranted or ConsentRefused, as the
	// citizen last answered, at ConsentAt.
	Consent   string     `json:"consent"`
	ConsentAt *time.Time `json:"consent_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// ConnectedAt is when the operator first joined: the call's start.
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	// EndedBy is the user who hung up (0: the citizen or the system).
	EndedBy        int64                `json:"ended_by,omitempty"`
	Quality        VideoQualitySummary  `json:"quality"`
	ChatMessages   int                  `json:"chat_messages"`
	Participants   []*VideoParticipant  `json:"participants"`
	Interpretation *VideoInterpretation `json:"interpretation,omitempty"` // the open or last request
}

// Duration is how long the call lasted from the operator's joining to its
// end, or until now while it goes on; 0 before the operator joined.
func (c *VideoCall) Duration(now time.Time) time.Duration {
	if c.ConnectedAt == nil {
		return 0
	}
	end := now
	if c.EndedAt != nil {
		end = *c.EndedAt
	}
	return end.Sub(*c.ConnectedAt)
}

// Participant returns the call's participant with id, or nil.
func (c *VideoCall) Participant(id int64) *VideoParticipant {
	for _, p := range c.Participants {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// VideoParticipant is someone who joined a call: the citizen (UserID 0
// however they connected, PersonID when known), the operator or the
// interpreter (their UserID).
type VideoParticipant struct {
	ID       int64      `json:"id"`
	CallID   int64      `json:"call_id"`
	Role     VideoRole  `json:"role"`
	UserID   int64      `json:"user_id,omitempty"`
	PersonID int64      `json:"person_id,omitempty"`
	Name     string     `json:"name"`
	JoinedAt time.Time  `json:"joined_at"`
	LeftAt   *time.Time `json:"left_at,omitempty"`
}

// VideoQuality is one quality sample a browser sends during a call: the
// round-trip time, the fraction of packets lost, the bitrate received and
// whether it fell back to audio only.
type VideoQuality struct {
	RTTMs     float64 `json:"rtt_ms"`
	Loss      float64 `json:"loss"` // 0 to 1
	Kbps      float64 `json:"kbps"`
	AudioOnly bool    `json:"audio_only"`
}

// Validate checks a sample's ranges: RTT 0 to 60,000 ms, loss 0 to 1,
// bitrate 0 to 100,000 kbps.
func (q *VideoQuality) Validate() error {
	var v Validation
	if !(q.RTTMs >= 0 && q.RTTMs <= 60000) {
		v.Add("rtt_ms", "video.quality_range", "The round-trip time is 0 to 60000 ms.")
	}
	if !(q.Loss >= 0 && q.Loss <= 1) {
		v.Add("loss", "video.quality_range", "The loss is a fraction from 0 to 1.")
	}
	if !(q.Kbps >= 0 && q.Kbps <= 100000) {
		v.Add("kbps", "video.quality_range", "The bitrate is 0 to 100000 kbps.")
	}
	return v.Err("The quality sample has errors.")
}

// VideoQualitySummary sums up a call's quality samples.
type VideoQualitySummary struct {
	Samples          int     `json:"samples"`
	AvgRTTMs         float64 `json:"avg_rtt_ms"`
	MaxRTTMs         float64 `json:"max_rtt_ms"`
	AvgLoss          float64 `json:"avg_loss"`
	MaxLoss          float64 `json:"max_loss"`
	AvgKbps          float64 `json:"avg_kbps"`
	AudioOnlySamples int     `json:"audio_only_samples"`
}

// InterpretationStatus is where an interpretation request is:
//
//	waiting → accepted → closed
//	waiting → closed (the call ended first)
type InterpretationStatus string

// Interpretation statuses.
const (
	InterpretationWaiting  InterpretationStatus = "waiting"
	InterpretationAccepted InterpretationStatus = "accepted"
	InterpretationClosed   InterpretationStatus = "closed"
)

// VideoInterpretation is a call's request for an interpreter, in the
// interpreters' queue while it waits; the first certified interpreter to
// accept it joins the call as its third participant.
type VideoInterpretation struct {
	ID            int64                `json:"id"`
	CallID        int64                `json:"call_id"`
	TicketID      int64                `json:"ticket_id"`
	CentreID      int64                `json:"centre_id"`
	Language      string               `json:"language"`
	Status        InterpretationStatus `json:"status"`
	RequestedRole VideoRole            `json:"requested_role"`
	RequestedBy   int64                `json:"requested_by,omitempty"`
	RequestedAt   time.Time            `json:"requested_at"`
	InterpreterID int64                `json:"interpreter_id,omitempty"`
	AcceptedAt    *time.Time           `json:"accepted_at,omitempty"`
	ClosedAt      *time.Time           `json:"closed_at,omitempty"`
}

// InterpreterCertification certifies a staff member to interpret a
// language in video calls from ValidFrom to ValidUntil (inclusive).
type InterpreterCertification struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Language   string    `json:"language"`
	ValidFrom  Date      `json:"valid_from"`
	ValidUntil Date      `json:"valid_until"`
	CreatedAt  time.Time `json:"created_at"`
}

// Validate checks a certification: a user, a known language, a period
// that does not end before it starts.
func (c *InterpreterCertification) Validate() error {
	var v Validation
	if c.UserID <= 0 {
		v.Add("user_id", "required", "The interpreter is required.")
	}
	if !ValidInterpretationLanguage(c.Language) {
		v.Add("language", "interpretation.language", "Unknown interpretation language %q.", c.Language)
	}
	if c.ValidFrom.IsZero() || c.ValidUntil.Before(c.ValidFrom) {
		v.Add("valid_until", "period.invalid", "The certification's period is invalid.")
	}
	return v.Err("The interpreter certification has errors.")
}

// VideoRecording is a recording of a call that its operator made with the
// citizen's consent granted in the call. The content (WebM) is in the
// file store under StorageKey.
type VideoRecording struct {
	ID         int64     `json:"id"`
	CallID     int64     `json:"call_id"`
	StorageKey string    `json:"-"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	RecordedBy int64     `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// MaxVideoRecordingSize is the largest recording a call's operator may
// upload, in bytes (256 MiB: about 40 minutes of 640×480 WebM at 800 kbps).
const MaxVideoRecordingSize = 256 << 20

// MaxChatText is the longest chat message, in bytes.
const MaxChatText = 2000

// CheckChatText returns the chat text trimmed, or EINVALID (field "text",
// code "video.chat_text") for an empty, over-long or invalid text.
func CheckChatText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxChatText || !utf8.ValidString(s) || !ValidText(s, true) {
		return "", FieldErr("text", "video.chat_text", "A chat message is 1 to %d characters of text.", MaxChatText)
	}
	return s, nil
}

// InterpretationFilter selects interpretation requests, oldest first;
// zero fields do not filter.
type InterpretationFilter struct {
	Status    InterpretationStatus
	Languages []string // any of
	CallID    int64
	Offset    int
	Limit     int
}

// NewVideoCall is what CreateCall stores for a ticket just issued.
type NewVideoCall struct {
	TicketID int64
	CentreID int64
	PersonID int64  // 0 from a kiosk
	Name     string // the citizen's name as shown to the others; may be empty
	Channel  string // "portal" or "kiosk"
	Language string
}

// VideoService keeps video calls: their participants, consent, quality,
// chat and interpretation requests, and interpreters' certifications. It
// stores; who may do what is the caller's check (the HTTP layer admits
// the ticket's citizen, the operator who called it and the accepted
// interpreter). sqlstore.VideoStore implements it.
type VideoService interface {
	// CentreKind returns a centre's kind, CentreHall or CentreVideo.
	// ENOTFOUND for an unknown centre.
	CentreKind(ctx context.Context, centreID int64) (string, error)

	// SetCentreKind makes a centre a hall or a video centre. EINVALID for
	// another kind; ENOTFOUND for an unknown centre.
	SetCentreKind(ctx context.Context, centreID int64, kind string) error

	// CreateCall stores the call of a video ticket just issued, with the
	// citizen as its first participant. ECONFLICT if the ticket has a
	// call already.
	CreateCall(ctx context.Context, c *NewVideoCall) (*VideoCall, error)

	// FindCallByTicket returns a ticket's call with its participants and
	// its open (else last) interpretation request. ENOTFOUND if the ticket
	// has none.
	FindCallByTicket(ctx context.Context, ticketID int64) (*VideoCall, error)

	// JoinCall returns the call's participant of role and user (the
	// citizen's user is 0), adding them on their first join; the
	// operator's first join is the call's start (ConnectedAt). A
	// participant who joins again after leaving is present again.
	// ECONFLICT (code "video.ended") on an ended call.
	JoinCall(ctx context.Context, callID int64, p *VideoParticipant) (*VideoParticipant, error)

	// LeaveCall notes that a participant left (their last connection
	// closed).
	LeaveCall(ctx context.Context, participantID int64) error

	// SetConsent records the citizen's answer to recording. ECONFLICT
	// (code "video.ended") on an ended call.
	SetConsent(ctx context.Context, callID int64, granted bool) (*VideoCall, error)

	// AddQuality adds a quality sample to the call's summary. EINVALID for
	// a sample out of range.
	AddQuality(ctx context.Context, callID int64, q VideoQuality) error

	// AddChat keeps a chat message for the call's record. EINVALID (code
	// "video.chat_text") for an empty or over-long text.
	AddChat(ctx context.Context, callID, participantID int64, text string) error

	// EndCall ends the call, closing its interpretation request and its
	// participants' presence, and returns it. ECONFLICT (code
	// "video.ended") if it has ended already.
	EndCall(ctx context.Context, callID, endedBy int64) (*VideoCall, error)

	// RequestInterpretation puts the call in the interpreters' queue for
	// language. EINVALID (field "language") for an unknown language;
	// ECONFLICT (code "interpretation.open") while a request of the call
	// waits or was accepted; ECONFLICT (code "video.ended") on an ended
	// call.
	RequestInterpretation(ctx context.Context, callID int64, language string, role VideoRole, by int64) (*VideoInterpretation, error)

	// FindInterpretations returns matching requests oldest first, and the
	// total.
	FindInterpretations(ctx context.Context, f InterpretationFilter) ([]*VideoInterpretation, int, error)

	// AcceptInterpretation gives a waiting request to interpreter, who is
	// to be certified for its language today: of two interpreters
	// accepting the same request at once exactly one wins. EFORBIDDEN
	// (code "interpreter.not_certified") without a valid certification;
	// ECONFLICT (code "interpretation.taken") unless it waits; ENOTFOUND
	// for an unknown request.
	AcceptInterpretation(ctx context.Context, id, interpreterID int64) (*VideoInterpretation, error)

	// CertifyInterpreter stores (or renews) a certification. EINVALID for
	// an invalid one.
	CertifyInterpreter(ctx context.Context, c *InterpreterCertification) error

	// FindInterpreterCertifications returns the interpreters'
	// certifications, of userID when not 0, by user and language.
	FindInterpreterCertifications(ctx context.Context, userID int64) ([]*InterpreterCertification, error)

	// RevokeInterpreterCertification deletes a certification and returns
	// it. ENOTFOUND for an unknown one.
	RevokeInterpreterCertification(ctx context.Context, id int64) (*InterpreterCertification, error)

	// AddRecording keeps a recording of the call whose content was stored
	// under r.StorageKey, checking in the same transaction that the
	// citizen's consent is granted: ECONFLICT (code
	// "video.consent_required") otherwise. Recordings may be added after
	// the call has ended (the upload follows the hang-up), never without
	// consent.
	AddRecording(ctx context.Context, r *VideoRecording) error

	// FindRecordings returns a call's recordings, oldest first.
	FindRecordings(ctx context.Context, callID int64) ([]*VideoRecording, error)

	// InterpreterLanguages returns the languages a user is certified to
	// interpret on day d, in the order of InterpretationLanguages; empty
	// for anyone else.
	InterpreterLanguages(ctx context.Context, userID int64, d Date) ([]string, error)
}
