package dost

import (
	"context"
	"time"
)

// Identity links an account at an OpenID Connect provider (the national
// digital login) to a dost user: whoever signs in there as Subject of
// Issuer signs in here as the user. Citizens need none (they are found by
// the FIN the provider vouches for); a staff member signs in through the
// provider only once an administrator has linked their identity
// (dost user link-oidc).
type Identity struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks an identity: an issuer URL and a subject, single-line
// text of at most 255 (issuer 512) bytes.
func (i *Identity) Validate() error {
	var v Validation
	if i.Issuer == "" {
		v.Add("issuer", "required", "The issuer is required.")
	} else if len(i.Issuer) > 512 {
		v.Add("issuer", "too_long", "The issuer is too long.")
	}
	if i.Subject == "" {
		v.Add("subject", "required", "The subject is required.")
	} else if len(i.Subject) > 255 {
		v.Add("subject", "too_long", "The subject is too long.")
	}
	v.checkText("issuer", i.Issuer, false)
	v.checkText("subject", i.Subject, false)
	return v.Err("The identity has errors.")
}

// IdentityService signs users in on the word of an OpenID Connect provider:
// the relying party (http/oidc.go) verifies the ID token and then asks
// this service whose account it is and for a session. Only the relying
// party and administrators' commands call it; it checks no permissions.
type IdentityService interface {
	// FindUserByIdentity returns the user linked to subject of issuer.
	// ENOTFOUND if none is.
	FindUserByIdentity(ctx context.Context, issuer, subject string) (*User, error)

	// LinkIdentity links subject of issuer to user userID and returns the
	// link. EINVALID for an empty issuer or subject; ENOTFOUND for an
	// unknown user; ECONFLICT when the identity is linked to another user
	// already (linking it again to the same user is no error).
	LinkIdentity(ctx context.Context, userID int64, issuer, subject string) (*Identity, error)

	// CitizenAccount returns the citizen account of the person, creating
	// it when there is none: username "fin:" and the FIN, role citizen,
	// PersonID set, no password. Concurrent calls for one person make one
	// account. ENOTFOUND for an unknown person; ECONFLICT when the
	// username belongs to an account of another person.
	CitizenAccount(ctx context.Context, personID int64) (*User, error)

	// CreateSession opens a session for the user as password sign-in does
	// (same expiry and cookie token) and returns it with the secret token.
	// ENOTFOUND for an unknown user, EFORBIDDEN for a disabled one.
	CreateSession(ctx context.Context, userID int64, meta SignInMeta) (*Session, string, error)
}
