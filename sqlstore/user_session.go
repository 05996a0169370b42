package sqlstore

import (
	"context"
	"fmt"

	"github.com/alexedwards/argon2id"
	"github.com/dost-az/dost"
)

// FindSessions returns the user's live sessions, the most recently used
// first.
func (s *UserService) FindSessions(ctx context.Context, userID int64) ([]*dost.Session, error) {
	ss := []*dost.Session{}
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, user_id, created_at, last_seen_at, expires_at, ip, user_agent
			FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, id DESC`,
			userID, tx.ts(tx.now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sess := &dost.Session{}
			if err := rows.Scan(&sess.ID, &sess.UserID, scanTime(&sess.CreatedAt), scanTime(&sess.LastSeenAt),
				scanTime(&sess.ExpiresAt), &sess.IP, &sess.UserAgent); err != nil {
				return err
			}
			ss = append(ss, sess)
		}
		return rows.Err()
	})
	return ss, err
}

// RevokeSession ends one of the user's sessions. ENOTFOUND if the user has
// no such session: another user's session is not found either, so its
// existence is not revealed.
func (s *UserService) RevokeSession(ctx context.Context, userID, sessionID int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, sessionID, userID)
		if err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Session not found.")
		}
		return nil
	})
}

// RevokeOtherSessions ends every session of the user except keepSession
// (0: all of them) and returns how many it ended.
func (s *UserService) RevokeOtherSessions(ctx context.Context, userID, keepSession int64) (int, error) {
	var n int64
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepSession)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// RevokeUser ends all sessions and revokes all live API tokens of a user in
// one transaction. ENOTFOUND for an unknown user.
func (s *UserService) RevokeUser(ctx context.Context, userID int64) (dost.Revocation, error) {
	var rv dost.Revocation
	err := s.db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = $1`, userID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		sessions, _ := res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL
			AND expires_at > $1`, tx.ts(tx.now), userID)
		if err != nil {
			return err
		}
		tokens, _ := res.RowsAffected()
		rv = dost.Revocation{Sessions: int(sessions), Tokens: int(tokens)}
		return nil
	})
	return rv, err
}

// ChangePassword is a signed-in user changing their own password: it checks
// current, stores next and ends the user's sessions other than keepSession
// (0: all). The check counts towards the lock-out as a sign-in does (a
// stolen session cannot guess the password faster than the sign-in form);
// a right password resets the count. EINVALID (field "current_password",
// code "password.wrong") for a wrong current password, EINVALID (field
// "password") for a short next one, EFORBIDDEN for a locked account,
// ENOTFOUND for an unknown user. API tokens stay: revoke them with
// RevokeUser or RevokeAPIToken.
func (s *UserService) ChangePassword(ctx context.Context, userID int64, current, next string, keepSession int64) error {
	newHash, err := s.hashPassword(next, false)
	if err != nil {
		return err
	}
	var hash string
	err = s.db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		return err
	})
	if err != nil {
		return err
	}
	wrong := &dost.Error{Code: dost.EINVALID, Message: "The current password is wrong.",
		Fields: []dost.FieldError{{Field: "current_password", Code: "password.wrong", Message: "The current password is wrong."}}}
	if hash == "" {
		s.compareDummy(current)
		return wrong
	}
	if err := s.db.update(ctx, func(tx *Tx) error { return reserveSignIn(ctx, tx, userID) }); err != nil {
		if dost.ErrorCode(err) == dost.EUNAUTHORIZED {
			return wrong
		}
		return err
	}
	var match bool
	withArgon2Slot(func() { match, err = argon2id.ComparePasswordAndHash(current, hash) })
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !match {
		return wrong
	}
	return s.db.update(ctx, func(tx *Tx) error {
		// The hash compared must still be the stored one: a password
		// changed meanwhile (another session, an administrator) wins.
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, failed_sign_ins = 0, locked_until = NULL,
			updated_at = $2 WHERE id = $3 AND password_hash = $4`, newHash, tx.ts(tx.now), userID, hash)
		if err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n == 0 {
			return dost.Errorf(dost.ECONFLICT, "The password was changed meanwhile; sign in again.")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepSession)
		return err
	})
}
