package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/alexedwards/argon2id"
	"github.com/dost-az/dost"
)

// touchInterval is how stale a session's last-seen time or a token's
// last-used time may get before a request writes it again; it spares the
// single SQLite writer one write per request.
const touchInterval = time.Minute

// apiTokenPrefix starts every API token secret, so that leaked tokens are
// easy to recognise (and to scan for).
const apiTokenPrefix = "dost_"

// signInFailed is the one message for an unknown user and a wrong password.
const signInFailed = "Wrong username or password."

// UserService stores accounts, password sign-in, sessions and API tokens.
// Passwords are argon2id hashes; session and API tokens are stored only as
// SHA-256 hashes. It is safe for concurrent use.
type UserService struct {
	db *DB

	// dummyOnce guards dummyHash, a hash compared against for unknown users
	// so that their sign-in takes as long as a wrong password.
	dummyOnce sync.Once
	dummyHash string
}

var _ dost.UserService = (*UserService)(nil)

// NewUserService returns a UserService over db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// FindUserByID returns a user. ENOTFOUND if there is none.
func (s *UserService) FindUserByID(ctx context.Context, id int64) (*dost.User, error) {
	var u *dost.User
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		u, err = findUserByID(ctx, tx, id)
		return err
	})
	return u, err
}

// FindUserByUsername returns a user. ENOTFOUND if there is none.
func (s *UserService) FindUserByUsername(ctx context.Context, username string) (*dost.User, error) {
	var u *dost.User
	err := s.db.view(ctx, func(tx *Tx) error {
		us, _, err := findUsers(ctx, tx, dost.UserFilter{Username: &username, Limit: 1})
		if err != nil {
			return err
		} else if len(us) == 0 {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		u = us[0]
		return nil
	})
	return u, err
}

// FindUsers returns matching users ordered by username, and the total.
// CentreID matches users explicitly scoped to that centre.
func (s *UserService) FindUsers(ctx context.Context, filter dost.UserFilter) ([]*dost.User, int, error) {
	var us []*dost.User
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		us, n, err = findUsers(ctx, tx, filter)
		return err
	})
	return us, n, err
}

// CreateUser validates and stores u with the password hashed (argon2id),
// setting its ID and timestamps; an empty password makes an account that
// cannot sign in by password. EINVALID for bad fields, a password shorter
// than dost.MinPasswordLength, an unknown centre or person; ECONFLICT if
// the username is taken.
func (s *UserService) CreateUser(ctx context.Context, u *dost.User, password string) error {
	u.Username = strings.TrimSpace(u.Username)
	if err := u.Validate(); err != nil {
		return err
	}
	hash, err := s.hashPassword(password, true)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error { return createUser(ctx, tx, u, hash) })
}

// UpdateUser changes the account id as upd says (PersonID: a pointer to 0
// unlinks the person) and returns it. ENOTFOUND for an unknown user,
// EINVALID (field "person_id", code "person.unknown") for a person not in
// the registry. Disabled set to true ends the account's sessions in the
// same transaction (its API tokens are refused while it is disabled);
// otherwise the sessions stay: they read the account afresh at every
// request.
func (s *UserService) UpdateUser(ctx context.Context, id int64, upd dost.UserUpdate) (*dost.User, error) {
	var u *dost.User
	err := s.db.update(ctx, func(tx *Tx) error {
		if upd.PersonID != nil {
			var person *int64
			if *upd.PersonID != 0 {
				person = upd.PersonID
			}
			res, err := tx.ExecContext(ctx, `UPDATE users SET person_id = $1, updated_at = $2 WHERE id = $3`,
				person, tx.ts(tx.now), id)
			if isForeignKey(err) {
				return &dost.Error{Code: dost.EINVALID, Message: "The person is not in the registry.",
					Fields: []dost.FieldError{{Field: "person_id", Code: "person.unknown", Message: "No such person in the registry."}}}
			} else if err != nil {
				return err
			} else if n, _ := res.RowsAffected(); n == 0 {
				return dost.Errorf(dost.ENOTFOUND, "User not found.")
			}
		}
		if upd.Disabled != nil {
			res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`,
				*upd.Disabled, tx.ts(tx.now), id)
			if err != nil {
				return err
			} else if n, _ := res.RowsAffected(); n == 0 {
				return dost.Errorf(dost.ENOTFOUND, "User not found.")
			}
			if *upd.Disabled {
				if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
					return err
				}
			}
		}
		var err error
		u, err = findUserByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword replaces a user's password, clears a lock-out and ends the
// user's sessions. EINVALID for a short password, ENOTFOUND for an unknown
// user.
func (s *UserService) SetPassword(ctx context.Context, userID int64, password string) error {
	hash, err := s.hashPassword(password, false)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, failed_sign_ins = 0,
			locked_until = NULL, updated_at = $2 WHERE id = $3`, hash, tx.ts(tx.now), userID)
		if err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		return err
	})
}

// hashPassword checks the policy and hashes password; "" hashes to "" when
// allowEmpty is set.
func (s *UserService) hashPassword(password string, allowEmpty bool) (string, error) {
	if password == "" && allowEmpty {
		return "", nil
	}
	if len([]rune(password)) < dost.MinPasswordLength {
		msg := fmt.Sprintf("A password has at least %d characters.", dost.MinPasswordLength)
		return "", &dost.Error{Code: dost.EINVALID, Message: msg,
			Fields: []dost.FieldError{{Field: "password", Code: "password.too_short", Message: msg}}}
	}
	var hash string
	var err error
	withArgon2Slot(func() { hash, err = argon2id.CreateHash(password, s.db.params) })
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// argon2Slots caps the argon2id hashings and comparisons running at once
// in the process, since each holds the memory of its parameters (64 MiB
// with argon2id.DefaultParams): a burst of sign-ins queues for a slot
// instead of exhausting memory. It is a semaphore of runtime.NumCPU()
// slots, package-wide because the memory is the process's, whatever number
// of UserServices share it.
var argon2Slots = make(chan struct{}, runtime.NumCPU())

// withArgon2Slot runs fn holding one of argon2Slots.
func withArgon2Slot(fn func()) {
	argon2Slots <- struct{}{}
	defer func() { <-argon2Slots }()
	fn()
}

// SignIn checks the password and opens a session, returning it and the
// secret token for the cookie. An unknown username or a wrong password is
// EUNAUTHORIZED with one message for both, and both take one password
// comparison; a disabled or locked account is EFORBIDDEN.
//
// Every attempt on an unlocked account is counted before its password is
// compared, atomically with the check of the lock, so that guesses sent in
// parallel cannot all be compared: the dost.MaxFailedSignIns-th attempt in
// a row locks the account for dost.LockoutDuration (and starts the count
// afresh), and attempts made during the lock are refused uncompared. The
// count stays committed although SignIn fails; a success resets it and
// lifts a lock that attempts in flight alongside it set.
func (s *UserService) SignIn(ctx context.Context, username, password string, meta dost.SignInMeta) (*dost.Session, string, error) {
	var (
		id       int64
		hash     string
		disabled bool
	)
	username = strings.TrimSpace(username)
	err := s.db.view(ctx, func(tx *Tx) error {
		if !storable(username) {
			return nil // no such user
		}
		err := tx.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM users WHERE username = $1`,
			username).Scan(&id, &hash, &disabled)
		if isNoRows(err) {
			id = 0
			return nil
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if id == 0 || hash == "" {
		s.compareDummy(password)
		return nil, "", dost.Errorf(dost.EUNAUTHORIZED, signInFailed)
	}
	if err := s.db.update(ctx, func(tx *Tx) error { return reserveSignIn(ctx, tx, id) }); err != nil {
		return nil, "", err
	}
	// The hash is compared outside any transaction: it takes tens of
	// milliseconds, which the single SQLite writer should not wait for.
	var match bool
	withArgon2Slot(func() { match, err = argon2id.ComparePasswordAndHash(password, hash) })
	if err != nil {
		return nil, "", fmt.Errorf("sign in: %w", err)
	}
	if !match {
		return nil, "", dost.Errorf(dost.EUNAUTHORIZED, signInFailed)
	}
	// Only the right password learns that the account is disabled.
	if disabled {
		return nil, "", dost.Errorf(dost.EFORBIDDEN, "This account is disabled.")
	}

	token, tokenHash, err := newToken("")
	if err != nil {
		return nil, "", err
	}
	var sess *dost.Session
	err = s.db.update(ctx, func(tx *Tx) error {
		// Read again inside the write: the account may have been disabled
		// meanwhile. A lock set meanwhile was set by attempts in flight
		// alongside this one, which this success lifts.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
			return err
		}
		u, err := findUserByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Disabled {
			return dost.Errorf(dost.EFORBIDDEN, "This account is disabled.")
		}
		sess = &dost.Session{UserID: id, User: u, CreatedAt: tx.now, LastSeenAt: tx.now,
			ExpiresAt: sessionExpiry(tx.now, tx.now), IP: cleanText(meta.IP, 64), UserAgent: cleanText(meta.UserAgent, 512)}
		return tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at,
			expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			id, tokenHash, tx.ts(sess.CreatedAt), tx.ts(sess.LastSeenAt), tx.ts(sess.ExpiresAt),
			sess.IP, sess.UserAgent).Scan(&sess.ID)
	})
	if err != nil {
		return nil, "", err
	}
	return sess, token, nil
}

func lockedError(until time.Time) error {
	return dost.Errorf(dost.EFORBIDDEN, "Too many failed sign-ins; the account is locked until %s UTC.",
		until.UTC().Format("2006-01-02 15:04"))
}

// compareDummy spends the time of a password check on a hash nobody has.
func (s *UserService) compareDummy(password string) {
	s.dummyOnce.Do(func() {
		withArgon2Slot(func() { s.dummyHash, _ = argon2id.CreateHash("dummy password for timing", s.db.params) })
	})
	withArgon2Slot(func() { _, _ = argon2id.ComparePasswordAndHash(password, s.dummyHash) })
}

// reserveSignIn counts an attempt to sign in as user id before its password
// is compared. EFORBIDDEN if the account is locked. The attempt that brings
// the count to dost.MaxFailedSignIns locks the account and starts the count
// afresh; the row lock the UPDATE takes (the single writer on SQLite)
// orders concurrent attempts, so no more than that many are ever compared
// in a row.
func reserveSignIn(ctx context.Context, tx *Tx, id int64) error {
	var n int
	err := tx.QueryRowContext(ctx, `UPDATE users SET failed_sign_ins = failed_sign_ins + 1, locked_until = NULL
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_sign_ins`,
		id, tx.ts(tx.now)).Scan(&n)
	if isNoRows(err) {
		var until *time.Time
		err := tx.QueryRowContext(ctx, `SELECT locked_until FROM users WHERE id = $1`, id).Scan(scanNullTime(&until))
		if isNoRows(err) || err == nil && until == nil {
			// Deleted or unlocked meanwhile: too rare to retry for.
			return dost.Errorf(dost.EUNAUTHORIZED, signInFailed)
		} else if err != nil {
			return err
		}
		return lockedError(*until)
	} else if err != nil {
		return err
	}
	if n < dost.MaxFailedSignIns {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE users SET failed_sign_ins = 0, locked_until = $1 WHERE id = $2`,
		tx.ts(tx.now.Add(dost.LockoutDuration)), id)
	return err
}

// sessionExpiry is when a session created at created and last seen at seen
// expires: idle timeout or maximum age, whichever comes first.
func sessionExpiry(created, seen time.Time) time.Time {
	idle, maxAge := seen.Add(dost.SessionIdleTimeout), created.Add(dost.SessionMaxAge)
	if idle.Before(maxAge) {
		return idle
	}
	return maxAge
}

// SignOut ends the session with the token. Unknown tokens are ignored.
func (s *UserService) SignOut(ctx context.Context, token string) error {
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token))
		return err
	})
}

// FindSessionByToken returns the live session (with its user) for a cookie
// token and extends its idle expiry, writing at most once a minute per
// session. EUNAUTHORIZED if the token is unknown, expired or its user
// disabled.
func (s *UserService) FindSessionByToken(ctx context.Context, token string) (*dost.Session, error) {
	var sess *dost.Session
	var now time.Time
	err := s.db.view(ctx, func(tx *Tx) error {
		now = tx.now
		sess = &dost.Session{}
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, created_at, last_seen_at, expires_at, ip, user_agent
			FROM sessions WHERE token_hash = $1`, hashToken(token)).Scan(&sess.ID, &sess.UserID,
			scanTime(&sess.CreatedAt), scanTime(&sess.LastSeenAt), scanTime(&sess.ExpiresAt), &sess.IP, &sess.UserAgent)
		if isNoRows(err) {
			return dost.Errorf(dost.EUNAUTHORIZED, "Please sign in.")
		} else if err != nil {
			return err
		}
		if !sess.ExpiresAt.After(tx.now) {
			return dost.Errorf(dost.EUNAUTHORIZED, "Your session has expired; please sign in again.")
		}
		if sess.User, err = findUserByID(ctx, tx, sess.UserID); err != nil {
			return err
		}
		if sess.User.Disabled {
			return dost.Errorf(dost.EUNAUTHORIZED, "This account is disabled.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if now.Sub(sess.LastSeenAt) >= touchInterval {
		sess.LastSeenAt = now
		sess.ExpiresAt = sessionExpiry(sess.CreatedAt, now)
		err := s.db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3`,
				tx.ts(sess.LastSeenAt), tx.ts(sess.ExpiresAt), sess.ID)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// CreateAPIToken makes a bearer token for the user valid for ttl and
// limited to scopes (none: dost.ScopeAll; repeats dropped), returning the
// record and the secret ("dost_" and 32 base32 characters), shown only
// now. EINVALID for a non-positive ttl, an empty name or a scope of the
// wrong form, ENOTFOUND for an unknown user.
func (s *UserService) CreateAPIToken(ctx context.Context, userID int64, name string, ttl time.Duration, scopes ...dost.Scope) (*dost.APIToken, string, error) {
	name = strings.TrimSpace(name)
	var v dost.Validation
	if name == "" {
		v.Add("name", "required", "A token needs a name.")
	} else if !dost.ValidText(name, false) {
		v.Add("name", "text.invalid", "The text contains characters that are not allowed.")
	}
	if ttl <= 0 {
		v.Add("ttl", "ttl.invalid", "A token must expire in the future.")
	}
	var clean []dost.Scope
	for i, sc := range scopes {
		p, err := dost.ParseScope(string(sc))
		if err != nil {
			v.Add(fmt.Sprintf("scopes[%d]", i), "scope.invalid", "%s", dost.ErrorMessage(err))
		} else if !slices.Contains(clean, p) {
			clean = append(clean, p)
		}
	}
	if len(clean) == 0 {
		clean = []dost.Scope{dost.ScopeAll}
	}
	if err := v.Err("The API token has errors."); err != nil {
		return nil, "", err
	}
	secret, hash, err := newToken(apiTokenPrefix)
	if err != nil {
		return nil, "", err
	}
	t := &dost.APIToken{UserID: userID, Name: name, Prefix: secret[:len(apiTokenPrefix)+7], Scopes: clean}
	err = s.db.update(ctx, func(tx *Tx) error {
		t.CreatedAt, t.ExpiresAt = tx.now, tx.now.Add(ttl)
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at, scopes)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			userID, t.Name, t.Prefix, hash, tx.ts(t.CreatedAt), tx.ts(t.ExpiresAt), joinScopes(clean)).Scan(&t.ID)
		if isForeignKey(err) {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// FindAPIToken returns the live token of a bearer secret with its user and
// scopes, and records its use (at most once a minute). EUNAUTHORIZED if the
// token is unknown, expired or revoked, or its user disabled.
func (s *UserService) FindAPIToken(ctx context.Context, secret string) (*dost.APIToken, error) {
	var (
		t      *dost.APIToken
		now    time.Time
		scopes string
	)
	err := s.db.view(ctx, func(tx *Tx) error {
		now = tx.now
		t = &dost.APIToken{}
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at
			FROM api_tokens WHERE token_hash = $1`, hashToken(secret)).Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &scopes,
			scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt), scanNullTime(&t.LastUsedAt), scanNullTime(&t.RevokedAt))
		if isNoRows(err) {
			return dost.Errorf(dost.EUNAUTHORIZED, "Unknown API token.")
		} else if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return dost.Errorf(dost.EUNAUTHORIZED, "The API token has been revoked.")
		}
		if !t.ExpiresAt.After(tx.now) {
			return dost.Errorf(dost.EUNAUTHORIZED, "The API token has expired.")
		}
		if t.User, err = findUserByID(ctx, tx, t.UserID); err != nil {
			return err
		}
		if t.User.Disabled {
			return dost.Errorf(dost.EUNAUTHORIZED, "This account is disabled.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.Scopes = splitScopes(scopes)
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchInterval {
		err := s.db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, tx.ts(tx.now), t.ID)
			used := tx.now
			t.LastUsedAt = &used
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// FindUserByAPIToken returns the user of a live bearer token, as
// FindAPIToken.
func (s *UserService) FindUserByAPIToken(ctx context.Context, token string) (*dost.User, error) {
	t, err := s.FindAPIToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return t.User, nil
}

// FindAPITokens returns the user's tokens, live or not, newest first.
func (s *UserService) FindAPITokens(ctx context.Context, userID int64) ([]*dost.APIToken, error) {
	ts := []*dost.APIToken{}
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at
			FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := &dost.APIToken{}
			var scopes string
			if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &scopes, scanTime(&t.CreatedAt),
				scanTime(&t.ExpiresAt), scanNullTime(&t.LastUsedAt), scanNullTime(&t.RevokedAt)); err != nil {
				return err
			}
			t.Scopes = splitScopes(scopes)
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// joinScopes is the stored form of scopes: separated by spaces.
func joinScopes(scopes []dost.Scope) string {
	ss := make([]string, len(scopes))
	for i, sc := range scopes {
		ss[i] = string(sc)
	}
	return strings.Join(ss, " ")
}

// splitScopes reads the stored form of scopes.
func splitScopes(s string) []dost.Scope {
	scopes := []dost.Scope{}
	for _, f := range strings.Fields(s) {
		scopes = append(scopes, dost.Scope(f))
	}
	return scopes
}

// RevokeAPIToken ends a token; revoking it again changes nothing.
// ENOTFOUND if unknown.
func (s *UserService) RevokeAPIToken(ctx context.Context, id int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			tx.ts(tx.now), id)
		if err != nil {
			return err
		} else if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE id = $1`, id).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "API token not found.")
		}
		return nil
	})
}

// newToken returns a random secret starting with prefix and its hash.
// Session tokens (no prefix) are URL-safe base64; API tokens lower-case
// base32, easy to copy.
func newToken(prefix string) (secret, hash string, err error) {
	b := make([]byte, 32)
	if prefix != "" {
		b = b[:20]
	}
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	if prefix == "" {
		secret = base64.RawURLEncoding.EncodeToString(b)
	} else {
		secret = prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	}
	return secret, hashToken(secret), nil
}

// hashToken is the stored form of a token: hex SHA-256. Tokens are random
// and long, so a fast hash is enough; what matters is that a copy of the
// database does not hold usable secrets.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// cleanText returns s without invalid UTF-8 and control characters, cut to
// at most n bytes: sign-in metadata comes from the client as it likes.
func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func createUser(ctx context.Context, tx *Tx, u *dost.User, hash string) error {
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO users (username, name, email, person_id, password_hash,
		disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.Username, u.Name, u.Email, u.PersonID, hash, u.Disabled, tx.ts(u.CreatedAt), tx.ts(u.UpdatedAt)).Scan(&u.ID)
	if isUnique(err) {
		return &dost.Error{Code: dost.ECONFLICT, Message: "This username is taken.",
			Fields: []dost.FieldError{{Field: "username", Code: "username.taken", Message: "This username is taken."}}}
	} else if isForeignKey(err) {
		return &dost.Error{Code: dost.EINVALID, Message: "The person is not in the registry.",
			Fields: []dost.FieldError{{Field: "person_id", Code: "person.unknown", Message: "No such person in the registry."}}}
	} else if err != nil {
		return err
	}
	seen := map[dost.Role]bool{}
	for _, r := range u.Roles {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, u.ID, r); err != nil {
			return err
		}
	}
	seenCentre := map[int64]bool{}
	for _, c := range u.CentreIDs {
		if seenCentre[c] {
			continue
		}
		seenCentre[c] = true
		_, err := tx.ExecContext(ctx, `INSERT INTO user_centres (user_id, centre_id) VALUES ($1, $2)`, u.ID, c)
		if isForeignKey(err) {
			return &dost.Error{Code: dost.EINVALID, Message: fmt.Sprintf("Unknown centre %d.", c),
				Fields: []dost.FieldError{{Field: "centre_ids", Code: "centre.unknown", Message: "No such centre."}}}
		} else if err != nil {
			return err
		}
	}
	return nil
}

func findUserByID(ctx context.Context, tx *Tx, id int64) (*dost.User, error) {
	us, _, err := findUsers(ctx, tx, dost.UserFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	} else if len(us) == 0 {
		return nil, dost.Errorf(dost.ENOTFOUND, "User not found.")
	}
	return us[0], nil
}

func findUsers(ctx context.Context, tx *Tx, f dost.UserFilter) ([]*dost.User, int, error) {
	if !storable(strOf(f.Username), strOf(f.Role)) {
		return []*dost.User{}, 0, nil
	}
	var a args
	var conds []string
	if f.ID != nil {
		conds = append(conds, "id = "+a.add(*f.ID))
	}
	if f.Username != nil {
		conds = append(conds, "username = "+a.add(strings.TrimSpace(*f.Username)))
	}
	if f.Role != nil {
		conds = append(conds, "id IN (SELECT user_id FROM user_roles WHERE role = "+a.add(*f.Role)+")")
	}
	if f.CentreID != nil {
		conds = append(conds, "id IN (SELECT user_id FROM user_centres WHERE centre_id = "+a.add(*f.CentreID)+")")
	}
	// A lookup by ID or username matches at most one row; skip its count.
	unique := (f.ID != nil || f.Username != nil) && f.Offset == 0
	total := -1
	if !unique {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users"+where(conds), a...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, username, name, email, person_id, disabled, locked_until,
		created_at, updated_at FROM users`+where(conds)+" ORDER BY username"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	us := []*dost.User{}
	byID := map[int64]*dost.User{}
	for rows.Next() {
		u := &dost.User{Roles: []dost.Role{}, CentreIDs: []int64{}}
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.Email, &u.PersonID, &u.Disabled,
			scanNullTime(&u.LockedUntil), scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt)); err != nil {
			return nil, 0, err
		}
		if u.LockedUntil != nil && !u.LockedUntil.After(tx.now) {
			u.LockedUntil = nil // the lock has run out
		}
		us = append(us, u)
		byID[u.ID] = u
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if unique {
		total = len(us)
	}
	if len(us) == 0 {
		return us, total, nil
	}
	var ia args
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = ia.add(u.ID)
	}
	in := "(" + strings.Join(ids, ", ") + ")"
	rrows, err := tx.QueryContext(ctx, `SELECT user_id, role FROM user_roles WHERE user_id IN `+in+` ORDER BY user_id, role`, ia...)
	if err != nil {
		return nil, 0, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var id int64
		var r dost.Role
		if err := rrows.Scan(&id, &r); err != nil {
			return nil, 0, err
		}
		byID[id].Roles = append(byID[id].Roles, r)
	}
	if err := rrows.Err(); err != nil {
		return nil, 0, err
	}
	rrows.Close()
	crows, err := tx.QueryContext(ctx, `SELECT user_id, centre_id FROM user_centres WHERE user_id IN `+in+` ORDER BY user_id, centre_id`, ia...)
	if err != nil {
		return nil, 0, err
	}
	defer crows.Close()
	for crows.Next() {
		var id, c int64
		if err := crows.Scan(&id, &c); err != nil {
			return nil, 0, err
		}
		byID[id].CentreIDs = append(byID[id].CentreIDs, c)
	}
	return us, total, crows.Err()
}
