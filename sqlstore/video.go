package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/dost-az/dost"
)

// VideoStore keeps video calls (migration 00026): calls, participants,
// consent, quality summaries, chat, interpretation requests and
// interpreters' certifications. It implements dost.VideoService and is
// safe for concurrent use.
type VideoStore struct {
	db *DB
	// RatingSMS, if set, makes the SMS that asks the citizen of a call to
	// rate the visit (hall.Service.RatingSMS): EndCall writes it to the
	// outbox, in its transaction, when the call's ticket is finished, did
	// not come from an appointment (whose phone the hall's finish uses
	// already) and the call's person has a phone. Its message ID is the
	// visit's, so there is one per visit whichever path sends it.
	RatingSMS func(t *dost.Ticket, phone string, personID int64) *dost.Notification
}

// NewVideoStore returns the video store of db.
func NewVideoStore(db *DB) *VideoStore { return &VideoStore{db: db} }

var _ dost.VideoService = (*VideoStore)(nil)

// errCallEnded is the answer to a change of an ended call.
func errCallEnded(callID int64) error {
	return fieldErr(dost.ECONFLICT, "call", "video.ended", "Video call %d has ended.", callID)
}

// CentreKind returns a centre's kind. See dost.VideoService.
func (s *VideoStore) CentreKind(ctx context.Context, centreID int64) (string, error) {
	var kind string
	err := s.db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT kind FROM centres WHERE id = $1`, centreID).Scan(&kind)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Centre %d not found.", centreID)
		}
		return err
	})
	return kind, err
}

// SetCentreKind sets a centre's kind. See dost.VideoService.
func (s *VideoStore) SetCentreKind(ctx context.Context, centreID int64, kind string) error {
	if kind != dost.CentreHall && kind != dost.CentreVideo {
		return dost.FieldErr("kind", "centre.kind", "A centre is a hall or a video centre, not %q.", kind)
	}
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE centres SET kind = $1 WHERE id = $2`, kind, centreID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Centre %d not found.", centreID)
		}
		return nil
	})
}

// CreateCall stores a video ticket's call. See dost.VideoService.
func (s *VideoStore) CreateCall(ctx context.Context, nc *dost.NewVideoCall) (*dost.VideoCall, error) {
	if !storable(nc.Name, nc.Channel, nc.Language) {
		return nil, dost.Errorf(dost.EINVALID, "The text contains characters that cannot be stored.")
	}
	var c *dost.VideoCall
	err := s.db.update(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO video_calls (ticket_id, centre_id, person_id, channel, language, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			nc.TicketID, nc.CentreID, nc.PersonID, nc.Channel, nc.Language, tx.ts(tx.now)).Scan(&id)
		if isUnique(err) {
			return dost.Errorf(dost.ECONFLICT, "Ticket %d has a video call already.", nc.TicketID)
		} else if isForeignKey(err) {
			return dost.Errorf(dost.ENOTFOUND, "Ticket %d not found.", nc.TicketID)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_participants (call_id, role, user_id, person_id, name, joined_at)
			VALUES ($1, $2, 0, $3, $4, $5)`, id, dost.VideoCitizen, nc.PersonID, nc.Name, tx.ts(tx.now)); err != nil {
			return err
		}
		c, err = findCall(ctx, tx, "id", id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create video call: %w", err)
	}
	return c, nil
}

const videoCallColumns = `id, ticket_id, centre_id, person_id, channel, language, consent, consent_at, created_at,
	connected_at, ended_at, ended_by, quality_samples, rtt_sum_ms, rtt_max_ms, loss_sum, loss_max, kbps_sum,
	audio_only_samples, chat_messages`

// findCall reads the call whose column by (id or ticket_id) is v, with its
// participants and interpretation request. ENOTFOUND if there is none.
func findCall(ctx context.Context, tx *Tx, by string, v int64) (*dost.VideoCall, error) {
	c := &dost.VideoCall{}
	var rttSum, lossSum, kbpsSum float64
	q := &c.Quality
	err := tx.QueryRowContext(ctx, `SELECT `+videoCallColumns+` FROM video_calls WHERE `+by+` = $1`, v).Scan(
		&c.ID, &c.TicketID, &c.CentreID, &c.PersonID, &c.Channel, &c.Language, &c.Consent, scanNullTime(&c.ConsentAt),
		scanTime(&c.CreatedAt), scanNullTime(&c.ConnectedAt), scanNullTime(&c.EndedAt), &c.EndedBy,
		&q.Samples, &rttSum, &q.MaxRTTMs, &lossSum, &q.MaxLoss, &kbpsSum, &q.AudioOnlySamples, &c.ChatMessages)
	if isNoRows(err) {
		if by == "ticket_id" {
			return nil, dost.Errorf(dost.ENOTFOUND, "Ticket %d has no video call.", v)
		}
		return nil, dost.Errorf(dost.ENOTFOUND, "Video call %d not found.", v)
	} else if err != nil {
		return nil, err
	}
	if q.Samples > 0 {
		n := float64(q.Samples)
		q.AvgRTTMs, q.AvgLoss, q.AvgKbps = rttSum/n, lossSum/n, kbpsSum/n
	}
	c.Participants = []*dost.VideoParticipant{}
	err = each(ctx, tx, `SELECT id, call_id, role, user_id, person_id, name, joined_at, left_at
		FROM video_participants WHERE call_id = $1 ORDER BY id`, []any{c.ID}, func(rows *sql.Rows) error {
		p := &dost.VideoParticipant{}
		c.Participants = append(c.Participants, p)
		return rows.Scan(&p.ID, &p.CallID, &p.Role, &p.UserID, &p.PersonID, &p.Name, scanTime(&p.JoinedAt), scanNullTime(&p.LeftAt))
	})
	if err != nil {
		return nil, err
	}
	list, err := findInterpretations(ctx, tx, `WHERE call_id = $1 ORDER BY CASE WHEN status = 'closed' THEN 1 ELSE 0 END, id DESC`+page(0, 1), c.ID)
	if err != nil {
		return nil, err
	}
	if len(list) > 0 {
		c.Interpretation = list[0]
	}
	return c, nil
}

// FindCallByTicket returns a ticket's call. See dost.VideoService.
func (s *VideoStore) FindCallByTicket(ctx context.Context, ticketID int64) (*dost.VideoCall, error) {
	var c *dost.VideoCall
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		c, err = findCall(ctx, tx, "ticket_id", ticketID)
		return err
	})
	return c, err
}

// openCall locks (on PostgreSQL) and returns the call's ended_at state:
// ENOTFOUND for an unknown call, ECONFLICT (video.ended) for an ended one.
func openCall(ctx context.Context, tx *Tx, callID int64) error {
	var ended sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT CAST(ended_at AS TEXT) FROM video_calls WHERE id = $1`+tx.forUpdate(""), callID).Scan(&ended)
	if isNoRows(err) {
		return dost.Errorf(dost.ENOTFOUND, "Video call %d not found.", callID)
	} else if err != nil {
		return err
	}
	if ended.Valid {
		return errCallEnded(callID)
	}
	return nil
}

// JoinCall adds or returns a participant. See dost.VideoService.
func (s *VideoStore) JoinCall(ctx context.Context, callID int64, p *dost.VideoParticipant) (*dost.VideoParticipant, error) {
	if !slices.Contains(dost.VideoRoles, p.Role) {
		return nil, dost.FieldErr("role", "video.role", "Unknown role %q.", p.Role)
	}
	if !storable(p.Name) {
		return nil, dost.Errorf(dost.EINVALID, "The text contains characters that cannot be stored.")
	}
	user := p.UserID
	if p.Role == dost.VideoCitizen {
		user = 0
	}
	out := &dost.VideoParticipant{}
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := openCall(ctx, tx, callID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO video_participants (call_id, role, user_id, person_id, name, joined_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (call_id, role, user_id) DO UPDATE SET left_at = NULL,
				name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE video_participants.name END,
				person_id = CASE WHEN excluded.person_id <> 0 THEN excluded.person_id ELSE video_participants.person_id END`,
			callID, p.Role, user, p.PersonID, p.Name, tx.ts(tx.now))
		if err != nil {
			return err
		}
		if p.Role == dost.VideoOperator {
			if _, err := tx.ExecContext(ctx, `UPDATE video_calls SET connected_at = $1 WHERE id = $2 AND connected_at IS NULL`,
				tx.ts(tx.now), callID); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT id, call_id, role, user_id, person_id, name, joined_at, left_at
			FROM video_participants WHERE call_id = $1 AND role = $2 AND user_id = $3`, callID, p.Role, user).Scan(
			&out.ID, &out.CallID, &out.Role, &out.UserID, &out.PersonID, &out.Name, scanTime(&out.JoinedAt), scanNullTime(&out.LeftAt))
	})
	if err != nil {
		return nil, fmt.Errorf("join video call %d: %w", callID, err)
	}
	return out, nil
}

// LeaveCall notes a participant left. See dost.VideoService.
func (s *VideoStore) LeaveCall(ctx context.Context, participantID int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE video_participants SET left_at = $1 WHERE id = $2 AND left_at IS NULL`,
			tx.ts(tx.now), participantID)
		return err
	})
}

// SetConsent records the citizen's consent. See dost.VideoService.
func (s *VideoStore) SetConsent(ctx context.Context, callID int64, granted bool) (*dost.VideoCall, error) {
	consent := dost.ConsentRefused
	if granted {
		consent = dost.ConsentGranted
	}
	var c *dost.VideoCall
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := openCall(ctx, tx, callID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE video_calls SET consent = $1, consent_at = $2 WHERE id = $3`,
			consent, tx.ts(tx.now), callID); err != nil {
			return err
		}
		var err error
		c, err = findCall(ctx, tx, "id", callID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("consent of video call %d: %w", callID, err)
	}
	return c, nil
}

// AddQuality adds a quality sample. See dost.VideoService.
func (s *VideoStore) AddQuality(ctx context.Context, callID int64, q dost.VideoQuality) error {
	if err := q.Validate(); err != nil {
		return err
	}
	audio := 0
	if q.AudioOnly {
		audio = 1
	}
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE video_calls SET quality_samples = quality_samples + 1,
			rtt_sum_ms = rtt_sum_ms + $1, rtt_max_ms = CASE WHEN rtt_max_ms < $1 THEN $1 ELSE rtt_max_ms END,
			loss_sum = loss_sum + $2, loss_max = CASE WHEN loss_max < $2 THEN $2 ELSE loss_max END,
			kbps_sum = kbps_sum + $3, audio_only_samples = audio_only_samples + $4
			WHERE id = $5 AND ended_at IS NULL`, q.RTTMs, q.Loss, q.Kbps, audio, callID)
		return err
	})
}

// AddChat keeps a chat message. See dost.VideoService.
func (s *VideoStore) AddChat(ctx context.Context, callID, participantID int64, text string) error {
	text, err := dost.CheckChatText(text)
	if err != nil {
		return err
	}
	if !storable(text) {
		return dost.FieldErr("text", "video.chat_text", "The text contains characters that cannot be stored.")
	}
	return s.db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_chat (call_id, participant_id, text, sent_at) VALUES ($1, $2, $3, $4)`,
			callID, participantID, text, tx.ts(tx.now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE video_calls SET chat_messages = chat_messages + 1 WHERE id = $1`, callID)
		return err
	})
}

// EndCall ends a call. See dost.VideoService.
func (s *VideoStore) EndCall(ctx context.Context, callID, endedBy int64) (*dost.VideoCall, error) {
	var c *dost.VideoCall
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := openCall(ctx, tx, callID); err != nil {
			return err
		}
		now := tx.ts(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE video_calls SET ended_at = $1, ended_by = $2 WHERE id = $3`, now, endedBy, callID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE video_participants SET left_at = $1 WHERE call_id = $2 AND left_at IS NULL`, now, callID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE video_interpretations SET status = 'closed', closed_at = $1
			WHERE call_id = $2 AND status <> 'closed'`, now, callID); err != nil {
			return err
		}
		var err error
		if c, err = findCall(ctx, tx, "id", callID); err != nil {
			return err
		}
		return s.queueRatingSMS(ctx, tx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("end video call %d: %w", callID, err)
	}
	return c, nil
}

// queueRatingSMS writes the rating SMS of c's visit, in tx, when
// s.RatingSMS is set, c's ticket is finished and came from no
// appointment, and c's person has a phone.
func (s *VideoStore) queueRatingSMS(ctx context.Context, tx *Tx, c *dost.VideoCall) error {
	if s.RatingSMS == nil || c.PersonID == 0 {
		return nil
	}
	t, _, err := findTicket(ctx, tx, c.TicketID, "")
	if err != nil || t.Status != dost.TicketFinished || t.AppointmentID != 0 {
		return err
	}
	var phone string
	err = tx.QueryRowContext(ctx, `SELECT phone FROM persons WHERE id = $1`, c.PersonID).Scan(&phone)
	if isNoRows(err) || err == nil && strings.TrimSpace(phone) == "" {
		return nil
	} else if err != nil {
		return err
	}
	if n := s.RatingSMS(t, phone, c.PersonID); n != nil {
		return insertNotification(ctx, tx, n)
	}
	return nil
}

const interpretationColumns = `id, call_id, ticket_id, centre_id, language, status, requested_role, requested_by,
	requested_at, interpreter_id, accepted_at, closed_at`

// findInterpretations reads the requests the clause after FROM selects.
func findInterpretations(ctx context.Context, tx *Tx, clause string, args ...any) ([]*dost.VideoInterpretation, error) {
	out := []*dost.VideoInterpretation{}
	err := each(ctx, tx, `SELECT `+interpretationColumns+` FROM video_interpretations `+clause, args, func(rows *sql.Rows) error {
		x := &dost.VideoInterpretation{}
		out = append(out, x)
		return rows.Scan(&x.ID, &x.CallID, &x.TicketID, &x.CentreID, &x.Language, &x.Status, &x.RequestedRole,
			&x.RequestedBy, scanTime(&x.RequestedAt), &x.InterpreterID, scanNullTime(&x.AcceptedAt), scanNullTime(&x.ClosedAt))
	})
	return out, err
}

// RequestInterpretation queues a request. See dost.VideoService.
func (s *VideoStore) RequestInterpretation(ctx context.Context, callID int64, language string, role dost.VideoRole, by int64) (*dost.VideoInterpretation, error) {
	if !dost.ValidInterpretationLanguage(language) {
		return nil, dost.FieldErr("language", "interpretation.language", "Unknown interpretation language %q.", language)
	}
	var x *dost.VideoInterpretation
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := openCall(ctx, tx, callID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO video_interpretations (call_id, ticket_id, centre_id, language, status,
			requested_role, requested_by, requested_at)
			SELECT id, ticket_id, centre_id, $1, 'waiting', $2, $3, $4 FROM video_calls WHERE id = $5 RETURNING id`,
			language, role, by, tx.ts(tx.now), callID).Scan(&id)
		if isUnique(err) {
			return fieldErr(dost.ECONFLICT, "language", "interpretation.open", "The call has an interpreter or is waiting for one.")
		} else if err != nil {
			return err
		}
		list, err := findInterpretations(ctx, tx, `WHERE id = $1`, id)
		if err == nil {
			x = list[0]
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("request interpretation for video call %d: %w", callID, err)
	}
	return x, nil
}

// FindInterpretations returns matching requests. See dost.VideoService.
func (s *VideoStore) FindInterpretations(ctx context.Context, f dost.InterpretationFilter) ([]*dost.VideoInterpretation, int, error) {
	var a args
	var conds []string
	if f.Status != "" {
		conds = append(conds, "status = "+a.add(f.Status))
	}
	if f.CallID != 0 {
		conds = append(conds, "call_id = "+a.add(f.CallID))
	}
	if len(f.Languages) > 0 {
		var ps []string
		for _, l := range f.Languages {
			ps = append(ps, a.add(l))
		}
		conds = append(conds, "language IN ("+strings.Join(ps, ", ")+")")
	}
	var list []*dost.VideoInterpretation
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM video_interpretations`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		list, err = findInterpretations(ctx, tx, where(conds)+` ORDER BY requested_at, id`+page(f.Offset, f.Limit), a...)
		return err
	})
	return list, total, err
}

// AcceptInterpretation gives a waiting request to an interpreter. See
// dost.VideoService. The update's condition (status still waiting) makes
// the race safe on both databases: the second of two concurrent accepts
// updates no row.
func (s *VideoStore) AcceptInterpretation(ctx context.Context, id, interpreterID int64) (*dost.VideoInterpretation, error) {
	var x *dost.VideoInterpretation
	err := s.db.update(ctx, func(tx *Tx) error {
		list, err := findInterpretations(ctx, tx, `WHERE id = $1`, id)
		if err != nil {
			return err
		} else if len(list) == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Interpretation request %d not found.", id)
		}
		langs, err := interpreterLanguages(ctx, tx, interpreterID, dost.DateOf(tx.now.In(dost.Baku)))
		if err != nil {
			return err
		}
		if !slices.Contains(langs, list[0].Language) {
			return fieldErr(dost.EFORBIDDEN, "language", "interpreter.not_certified", "You are not certified to interpret %q.", list[0].Language)
		}
		res, err := tx.ExecContext(ctx, `UPDATE video_interpretations SET status = 'accepted', interpreter_id = $1, accepted_at = $2
			WHERE id = $3 AND status = 'waiting'`, interpreterID, tx.ts(tx.now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fieldErr(dost.ECONFLICT, "id", "interpretation.taken", "The request was taken by another interpreter or closed.")
		}
		list, err = findInterpretations(ctx, tx, `WHERE id = $1`, id)
		if err == nil {
			x = list[0]
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("accept interpretation %d: %w", id, err)
	}
	return x, nil
}

// CertifyInterpreter stores a certification. See dost.VideoService.
func (s *VideoStore) CertifyInterpreter(ctx context.Context, c *dost.InterpreterCertification) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO video_interpreters (user_id, language, valid_from, valid_until, created_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, language) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until
			RETURNING id`, c.UserID, c.Language, c.ValidFrom, c.ValidUntil, tx.ts(tx.now)).Scan(&c.ID)
		if isForeignKey(err) {
			return dost.FieldErr("user_id", "user.unknown", "User %d does not exist.", c.UserID)
		}
		c.CreatedAt = tx.now
		return err
	})
}

// interpreterLanguages returns the languages userID may interpret on d.
func interpreterLanguages(ctx context.Context, tx *Tx, userID int64, d dost.Date) ([]string, error) {
	have := map[string]bool{}
	err := each(ctx, tx, `SELECT language FROM video_interpreters WHERE user_id = $1 AND valid_from <= $2 AND valid_until >= $2`,
		[]any{userID, d}, func(rows *sql.Rows) error {
			var l string
			err := rows.Scan(&l)
			have[l] = true
			return err
		})
	out := []string{}
	for _, l := range dost.InterpretationLanguages {
		if have[l] {
			out = append(out, l)
		}
	}
	return out, err
}

// InterpreterLanguages returns a user's interpretation languages on d.
// See dost.VideoService.
func (s *VideoStore) InterpreterLanguages(ctx context.Context, userID int64, d dost.Date) ([]string, error) {
	var out []string
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		out, err = interpreterLanguages(ctx, tx, userID, d)
		return err
	})
	return out, err
}

// FindInterpreterCertifications returns certifications. See
// dost.VideoService.
func (s *VideoStore) FindInterpreterCertifications(ctx context.Context, userID int64) ([]*dost.InterpreterCertification, error) {
	out := []*dost.InterpreterCertification{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT id, user_id, language, valid_from, valid_until, created_at FROM video_interpreters
			WHERE user_id = $1 OR $1 = 0 ORDER BY user_id, language`, []any{userID}, func(rows *sql.Rows) error {
			c := &dost.InterpreterCertification{}
			out = append(out, c)
			return rows.Scan(&c.ID, &c.UserID, &c.Language, &c.ValidFrom, &c.ValidUntil, scanTime(&c.CreatedAt))
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find interpreter certifications: %w", err)
	}
	return out, nil
}

// RevokeInterpreterCertification deletes a certification. See
// dost.VideoService.
func (s *VideoStore) RevokeInterpreterCertification(ctx context.Context, id int64) (*dost.InterpreterCertification, error) {
	c := &dost.InterpreterCertification{}
	err := s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, language, valid_from, valid_until, created_at FROM video_interpreters
			WHERE id = $1`, id).Scan(&c.ID, &c.UserID, &c.Language, &c.ValidFrom, &c.ValidUntil, scanTime(&c.CreatedAt))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Interpreter certification %d not found.", id)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM video_interpreters WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("revoke interpreter certification %d: %w", id, err)
	}
	return c, nil
}

// AddRecording keeps a recording made with consent. See
// dost.VideoService.
func (s *VideoStore) AddRecording(ctx context.Context, r *dost.VideoRecording) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		var consent string
		err := tx.QueryRowContext(ctx, `SELECT consent FROM video_calls WHERE id = $1`, r.CallID).Scan(&consent)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Video call %d not found.", r.CallID)
		} else if err != nil {
			return err
		}
		if consent != dost.ConsentGranted {
			return fieldErr(dost.ECONFLICT, "consent", "video.consent_required",
				"The citizen has not consented to recording video call %d.", r.CallID)
		}
		r.CreatedAt = tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO video_recordings (call_id, storage_key, size, sha256, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.CallID, r.StorageKey, r.Size, r.SHA256, r.RecordedBy,
			tx.ts(tx.now)).Scan(&r.ID)
	})
	if err != nil {
		return fmt.Errorf("add recording of video call %d: %w", r.CallID, err)
	}
	return nil
}

// FindRecordings returns a call's recordings. See dost.VideoService.
func (s *VideoStore) FindRecordings(ctx context.Context, callID int64) ([]*dost.VideoRecording, error) {
	out := []*dost.VideoRecording{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT id, call_id, storage_key, size, sha256, recorded_by, created_at FROM video_recordings
			WHERE call_id = $1 ORDER BY id`, []any{callID}, func(rows *sql.Rows) error {
			r := &dost.VideoRecording{}
			out = append(out, r)
			return rows.Scan(&r.ID, &r.CallID, &r.StorageKey, &r.Size, &r.SHA256, &r.RecordedBy, scanTime(&r.CreatedAt))
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find recordings of video call %d: %w", callID, err)
	}
	return out, nil
}
