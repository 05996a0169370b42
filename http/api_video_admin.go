package http

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dost-az/dost"
)

// This file is the video centres' set-up (a centre's kind, interpreters'
// certifications), the remote check-in of a booked video appointment and
// the recording of a call with the citizen's consent.

// videoAdminRoutes are the rows of the video set-up, check-in and
// recording routes, part of videoRoutes.
func (s *Server) videoAdminRoutes() []Route {
	admins := []dost.Role{dost.RoleAdmin}
	return []Route{
		{Pattern: "PUT /api/v1/centres/{code}/kind", Access: ByRole, Roles: admins, Handler: s.handleCentreKindSet},
		{Pattern: "GET /api/v1/video/interpreters", Access: ByRole, Roles: admins, Handler: s.handleInterpreterList},
		{Pattern: "POST /api/v1/video/interpreters", Access: ByRole, Roles: admins, Handler: s.handleInterpreterCertify},
		{Pattern: "DELETE /api/v1/video/interpreters/{id}", Access: ByRole, Roles: admins, Handler: s.handleInterpreterRevoke},
		{Pattern: "POST /api/v1/video/appointments/{id}/check-in", Access: ByRole, Roles: []dost.Role{dost.RoleCitizen}, Handler: s.handleVideoAppointmentCheckIn},
		{Pattern: "POST /api/v1/video/calls/{ticket}/recording", Access: Public, Handler: s.handleVideoRecording},
	}
}

// centreKindInput is the body of PUT /api/v1/centres/{code}/kind.
type centreKindInput struct {
	Kind string `json:"kind"`
}

// handleCentreKindSet handles "PUT /api/v1/centres/{code}/kind": an
// administrator of the centre makes it a hall ("hall") or a Smart DOST
// video centre ("video"), whose counters become video desks. 200 with
// {code, kind}; 400 (field kind, code centre.kind) for another kind; 403
// for an administrator scoped to other centres; audited with the kind.
func (s *Server) handleCentreKindSet(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	ctx := r.Context()
	c, err := s.CentreService.FindCentreByCode(ctx, r.PathValue("code"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(ctx)
	if !u.InCentre(c.ID) {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "You may not change this centre."))
		return
	}
	var in centreKindInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := vc.Service.SetCentreKind(ctx, c.ID, in.Kind); err != nil {
		s.Error(w, r, err)
		return
	}
	s.auditVideoAdmin(ctx, r, "centre", strconv.FormatInt(c.ID, 10), 0, "kind="+in.Kind+" centre="+c.Code)
	writeJSON(w, http.StatusOK, map[string]string{"code": c.Code, "kind": in.Kind})
}

// handleInterpreterList handles "GET /api/v1/video/interpreters": the
// interpreters' certifications (of ?user_id= when given), by user and
// language. Administrators only.
func (s *Server) handleInterpreterList(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	var v dost.Validation
	userID := queryID(r.URL.Query(), "user_id", &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	list, err := vc.Service.FindInterpreterCertifications(r.Context(), userID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, len(list), 0, len(list)))
}

// interpreterInput is the body of POST /api/v1/video/interpreters: the
// staff member (user_id, or username), the language (sign, az, en, ru)
// and the period (valid_from default today, valid_until default a year
// later).
type interpreterInput struct {
	UserID     int64     `json:"user_id"`
	Username   string    `json:"username"`
	Language   string    `json:"language"`
	ValidFrom  dost.Date `json:"valid_from"`
	ValidUntil dost.Date `json:"valid_until"`
}

// handleInterpreterCertify handles "POST /api/v1/video/interpreters": an
// administrator certifies a staff member to interpret a language in video
// calls, or renews the certification (one per user and language). 201
// with the certification; 400 for an unknown user (field user_id, code
// user.unknown), language or an invalid period, or a user who is not
// staff (code interpreter.not_staff); audited.
func (s *Server) handleInterpreterCertify(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	var in interpreterInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	ctx := r.Context()
	var who *dost.User
	var err error
	switch {
	case in.UserID != 0:
		who, err = s.UserService.FindUserByID(ctx, in.UserID)
	case in.Username != "":
		who, err = s.UserService.FindUserByUsername(ctx, in.Username)
	default:
		err = dost.FieldErr("user_id", "required", "Name the interpreter (user_id or username).")
	}
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		err = dost.FieldErr("user_id", "user.unknown", "The user does not exist.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !(Route{Access: Staff}).Allows(who) {
		s.Error(w, r, dost.FieldErr("user_id", "interpreter.not_staff", "Only a staff member can be certified to interpret."))
		return
	}
	c := &dost.InterpreterCertification{UserID: who.ID, Language: in.Language,
		ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil}
	if c.ValidFrom.IsZero() {
		c.ValidFrom = dost.Today(s.Clock)
	}
	if c.ValidUntil.IsZero() {
		c.ValidUntil = c.ValidFrom.AddDate(1, 0, 0)
	}
	if err := vc.Service.CertifyInterpreter(ctx, c); err != nil {
		s.Error(w, r, err)
		return
	}
	s.auditVideoAdmin(ctx, r, "video_interpreter", strconv.FormatInt(c.ID, 10), 0,
		fmt.Sprintf("certified user=%d language=%s valid=%s..%s", c.UserID, c.Language, c.ValidFrom, c.ValidUntil))
	writeJSON(w, http.StatusCreated, c)
}

// handleInterpreterRevoke handles "DELETE
// /api/v1/video/interpreters/{id}": an administrator revokes a
// certification; the interpreter no longer sees that language's requests
// (a call they joined already goes on). 200 with the revoked
// certification; 404 for an unknown one; audited.
func (s *Server) handleInterpreterRevoke(w http.ResponseWriter, r *http.Request) {
	vc, _ := s.video(w, r)
	if vc == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := vc.Service.RevokeInterpreterCertification(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.auditVideoAdmin(r.Context(), r, "video_interpreter", strconv.FormatInt(c.ID, 10), 0,
		fmt.Sprintf("revoked user=%d language=%s", c.UserID, c.Language))
	writeJSON(w, http.StatusOK, c)
}

// auditVideoAdmin appends a change of the video set-up (or of a call's
// record) by the signed-in user to the audit trail, with detail. A
// failure is logged.
func (s *Server) auditVideoAdmin(ctx context.Context, r *http.Request, kind, id string, personID int64, detail string) {
	s.recordAudit(ctx, r, dost.UserFromContext(ctx), &dost.AuditEvent{Action: dost.AuditUpdate, ObjectKind: kind, ObjectID: id,
		PersonID: personID, Detail: detail})
}

// handleVideoAppointmentCheckIn handles "POST
// /api/v1/video/appointments/{id}/check-in": the signed-in citizen checks
// their own booking at a video centre in from home, in the same window as
// at a kiosk (30 minutes before the slot until 10 after). The ticket is
// issued by the hall's check-in (so call-next prefers it as any
// appointment) and its call is created bound to the citizen's person. 201
// as POST /api/v1/video/tickets (the ticket, its token, the call's
// paths); 404 for another's or an unknown booking; 400 (field centre,
// code centre.not_video) for a booking at a hall; errors of the hall's
// check-in otherwise.
func (s *Server) handleVideoAppointmentCheckIn(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u := dost.UserFromContext(r.Context())
	var personID int64
	if u.PersonID != nil {
		personID = *u.PersonID
	}
	t, err := s.videoCheckIn(r.Context(), vc, h, id, personID, u.Name)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeVideoTicket(w, h, t)
}

// videoCheckIn checks the booking id of the person in, from home, at its
// video centre: the hall's check-in issues the ticket, then its call is
// created bound to the person (name as the others see it). ENOTFOUND for
// an unknown booking or another's; EINVALID (field centre, code
// centre.not_video) at a hall; the hall's check-in's errors otherwise.
func (s *Server) videoCheckIn(ctx context.Context, vc *VideoConfig, h HallService, id, personID int64, name string) (*dost.Ticket, error) {
	a, err := h.FindAppointmentByID(ctx, id)
	if err == nil && (personID == 0 || a.PersonID != personID) {
		err = dost.Errorf(dost.ENOTFOUND, "Appointment %d not found.", id)
	}
	if err != nil {
		return nil, err
	}
	if kind, err := vc.Service.CentreKind(ctx, a.CentreID); err != nil {
		return nil, err
	} else if kind != dost.CentreVideo {
		return nil, dost.FieldErr("centre", "centre.not_video", "The centre does not serve by video: check in at its kiosk.")
	}
	t, err := h.CheckInAppointment(dost.NewContextWithUser(ctx, nil), a.Code)
	if err != nil {
		return nil, err
	}
	if _, err := vc.Service.CreateCall(ctx, &dost.NewVideoCall{TicketID: t.ID, CentreID: t.CentreID, PersonID: personID,
		Name: name, Channel: "portal", Language: cmp.Or(a.Language, t.Language, "az")}); err != nil && dost.ErrorCode(err) != dost.ECONFLICT {
		return nil, err
	}
	return t, nil
}

// recordingKey returns a new file-store key of a call's recording:
// "video/<year>/<32 random hex digits>.webm".
func recordingKey(now time.Time) string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("video/%d/%s.webm", now.Year(), hex.EncodeToString(b))
}

// webmMagic opens every WebM (EBML) file.
var webmMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// handleVideoRecording handles "POST
// /api/v1/video/calls/{ticket}/recording": the call's operator uploads the
// recording their browser made (the body: WebM, at most
// dost.MaxVideoRecordingSize bytes). It is stored only when the citizen's
// consent is granted, checked when the file is kept: 409 (field consent,
// code video.consent_required) otherwise. 201 with the recording; 400
// (field file: file.empty, file.type — not WebM) for other content; 413
// for a larger body; 403 for anyone but the operator; audited with its
// size and hash. Allowed after the hang-up, for the upload that follows it.
func (s *Server) handleVideoRecording(w http.ResponseWriter, r *http.Request) {
	vc, h := s.video(w, r)
	if vc == nil {
		return
	}
	if vc.Files == nil {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Recording is not available on this server."))
		return
	}
	c, err := s.videoCallerOf(r, vc, h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if c.role != dost.VideoOperator {
		s.Error(w, r, &dost.Error{Code: dost.EFORBIDDEN, Message: "Only the operator records the call.",
			Fields: []dost.FieldError{{Field: "ticket", Code: "video.operator_only", Message: "Only the operator records the call."}}})
		return
	}
	ctx := r.Context()
	if c.call.Consent != dost.ConsentGranted { // checked again when kept
		s.Error(w, r, errConsentRequired())
		return
	}
	body := http.MaxBytesReader(w, r.Body, dost.MaxVideoRecordingSize)
	content, err := io.ReadAll(body)
	if err != nil {
		s.Error(w, r, &dost.Error{Code: dost.EINVALID, Message: fmt.Sprintf("A recording is at most %d MiB.", dost.MaxVideoRecordingSize>>20),
			Fields: []dost.FieldError{{Field: "file", Code: "file.too_large", Message: "The recording is too large."}}})
		return
	}
	switch {
	case len(content) == 0:
		s.Error(w, r, dost.FieldErr("file", "file.empty", "The recording is empty."))
		return
	case !bytes.HasPrefix(content, webmMagic):
		s.Error(w, r, dost.FieldErr("file", "file.type", "A recording is a WebM file."))
		return
	}
	sum := sha256.Sum256(content)
	rec := &dost.VideoRecording{CallID: c.call.ID, StorageKey: recordingKey(s.Clock.Now()), Size: int64(len(content)),
		SHA256: hex.EncodeToString(sum[:]), RecordedBy: c.user.ID}
	if err := vc.Files.Put(ctx, rec.StorageKey, bytes.NewReader(content)); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := vc.Service.AddRecording(ctx, rec); err != nil {
		if err := vc.Files.Delete(context.WithoutCancel(ctx), rec.StorageKey); err != nil {
			s.logger().Warn("video: remove a refused recording", "key", rec.StorageKey, "err", err)
		}
		s.Error(w, r, err)
		return
	}
	s.auditVideo(ctx, r, c.user, c.call, dost.AuditCreate, fmt.Sprintf("recording=%d ticket=%d size=%d sha256=%s consent=granted",
		rec.ID, c.ticket.ID, rec.Size, rec.SHA256))
	writeJSON(w, http.StatusCreated, rec)
}

// errConsentRequired refuses a recording without the citizen's consent.
func errConsentRequired() error {
	return &dost.Error{Code: dost.ECONFLICT, Message: "The citizen has not consented to recording this call.",
		Fields: []dost.FieldError{{Field: "consent", Code: "video.consent_required", Message: "The citizen's consent is required."}}}
}
