package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/dost-az/dost"
)

// IdentityService links accounts at OpenID Connect providers to users,
// finds or makes citizens' accounts and opens sessions for the relying
// party (http/oidc.go). It is safe for concurrent use.
type IdentityService struct {
	db *DB
}

var _ dost.IdentityService = (*IdentityService)(nil)

// NewIdentityService returns an IdentityService over db.
func NewIdentityService(db *DB) *IdentityService { return &IdentityService{db: db} }

// FindUserByIdentity returns the user linked to subject of issuer.
// ENOTFOUND if none is.
func (s *IdentityService) FindUserByIdentity(ctx context.Context, issuer, subject string) (*dost.User, error) {
	var u *dost.User
	err := s.db.view(ctx, func(tx *Tx) error {
		if !storable(issuer, subject) {
			return dost.Errorf(dost.ENOTFOUND, "No user is linked to this identity.")
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`,
			issuer, subject).Scan(&id)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "No user is linked to this identity.")
		} else if err != nil {
			return err
		}
		u, err = findUserByID(ctx, tx, id)
		return err
	})
	return u, err
}

// LinkIdentity links subject of issuer to user userID. EINVALID for an
// empty or bad issuer or subject, ENOTFOUND for an unknown user, ECONFLICT
// when the identity is another user's; linking it again to the same user
// returns the existing link.
func (s *IdentityService) LinkIdentity(ctx context.Context, userID int64, issuer, subject string) (*dost.Identity, error) {
	id := &dost.Identity{UserID: userID, Issuer: strings.TrimSpace(issuer), Subject: strings.TrimSpace(subject)}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		if _, err := findUserByID(ctx, tx, userID); err != nil {
			return err
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, created_at FROM user_identities WHERE issuer = $1 AND subject = $2`,
			id.Issuer, id.Subject).Scan(&id.ID, &other, scanTime(&id.CreatedAt))
		switch {
		case err == nil && other == userID:
			return nil
		case err == nil:
			return identityTaken()
		case !isNoRows(err):
			return err
		}
		id.CreatedAt = tx.now
		err = tx.QueryRowContext(ctx, `INSERT INTO user_identities (user_id, issuer, subject, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, userID, id.Issuer, id.Subject, tx.ts(id.CreatedAt)).Scan(&id.ID)
		if isUnique(err) {
			return identityTaken()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return id, nil
}

func identityTaken() error {
	return &dost.Error{Code: dost.ECONFLICT, Message: "This identity is linked to another user.",
		Fields: []dost.FieldError{{Field: "subject", Code: "identity.taken", Message: "This identity is linked to another user."}}}
}

// CitizenAccount returns the citizen account of the person, creating it
// ("fin:" and the FIN, role citizen only) when there is none. The account
// is the person's first citizen-only account (person_id, whatever its
// username); a staff account linked to the person is never one, so a
// FIN in an ID token alone never signs in with staff roles. ECONFLICT
// when the username "fin:<FIN>" is taken by an account that is not the
// person's citizen-only one. Two calls at once for one person both
// return the one account: the loser of the race on the unique username
// reads the winner's.
func (s *IdentityService) CitizenAccount(ctx context.Context, personID int64) (*dost.User, error) {
	for attempt := 0; ; attempt++ {
		var u *dost.User
		err := s.db.update(ctx, func(tx *Tx) error {
			p, err := findPersonByID(ctx, tx, personID)
			if err != nil {
				return err
			}
			if u, err = findCitizenAccount(ctx, tx, p.ID); err != nil || u != nil {
				return err
			}
			username := "fin:" + string(p.FIN)
			us, _, err := findUsers(ctx, tx, dost.UserFilter{Username: &username, Limit: 1})
			if err != nil {
				return err
			}
			if len(us) == 1 {
				// Made by a sign-in alongside since findCitizenAccount
				// read (PostgreSQL reads what is committed at each
				// statement), or not the person's citizen-only account.
				if u = us[0]; u.PersonID != nil && *u.PersonID == p.ID && u.CitizenOnly() {
					return nil
				}
				return dost.Errorf(dost.ECONFLICT, "The account %s is not this person's citizen account.", "fin:"+p.FIN.Masked())
			}
			u = &dost.User{Username: username, Name: p.FullName(), Roles: []dost.Role{dost.RoleCitizen}, PersonID: &p.ID}
			return createUser(ctx, tx, u, "")
		})
		var e *dost.Error
		if attempt == 0 && errors.As(err, &e) && e.Code == dost.ECONFLICT && len(e.Fields) == 1 && e.Fields[0].Code == "username.taken" {
			continue // made by a sign-in alongside: read it
		}
		if err != nil {
			return nil, err
		}
		return u, nil
	}
}

// findCitizenAccount returns the first (lowest id) citizen-only account
// linked to the person, or nil when there is none.
func findCitizenAccount(ctx context.Context, tx *Tx, personID int64) (*dost.User, error) {
	var ids []int64
	err := each(ctx, tx, `SELECT id FROM users WHERE person_id = $1 ORDER BY id`, []any{personID}, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		u, err := findUserByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if u.CitizenOnly() {
			return u, nil
		}
	}
	return nil, nil
}

// CreateSession opens a session for the user, as SignIn does after a
// right password, and returns it with the secret token. ENOTFOUND for an
// unknown user, EFORBIDDEN for a disabled one.
func (s *IdentityService) CreateSession(ctx context.Context, userID int64, meta dost.SignInMeta) (*dost.Session, string, error) {
	token, tokenHash, err := newToken("")
	if err != nil {
		return nil, "", err
	}
	var sess *dost.Session
	err = s.db.update(ctx, func(tx *Tx) error {
		u, err := findUserByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return dost.Errorf(dost.EFORBIDDEN, "This account is disabled.")
		}
		sess = &dost.Session{UserID: userID, User: u, CreatedAt: tx.now, LastSeenAt: tx.now,
			ExpiresAt: sessionExpiry(tx.now, tx.now), IP: cleanText(meta.IP, 64), UserAgent: cleanText(meta.UserAgent, 512)}
		return tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at,
			expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			userID, tokenHash, tx.ts(sess.CreatedAt), tx.ts(sess.LastSeenAt), tx.ts(sess.ExpiresAt),
			sess.IP, sess.UserAgent).Scan(&sess.ID)
	})
	if err != nil {
		return nil, "", err
	}
	return sess, token, nil
}
