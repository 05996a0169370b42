package dost

import (
	"context"
	"time"
)

// Role is what a signed-in user may do. Staff roles are scoped to centres;
// RoleCitizen is for the portal (a citizen sees only their own records).
type Role string

// Roles.
const (
	RoleOperator   Role = "operator"   // front office: queue, registry, applications
	RoleCaseWorker Role = "caseworker" // back office: reviews and decides
	RoleSupervisor Role = "supervisor" // a centre's dashboards and staff
	RoleAdmin      Role = "admin"      // catalogue, centres, staff
	RoleAuditor    Role = "auditor"    // read-only, audit trail
	RolePayroll    Role = "payroll"    // payroll cycles: prepare, approve, export, reconcile
	RoleCitizen    Role = "citizen"    // the portal
	// RoleRegistry is another registry's system account (the civil
	// registry, the medical-social commission, the employment contracts
	// system): it sends life events (POST /api/v1/events) with an API
	// token and is neither staff nor a citizen.
	RoleRegistry Role = "registry"
)

// StaffRoles lists the staff roles.
var StaffRoles = []Role{RoleOperator, RoleCaseWorker, RoleSupervisor, RoleAdmin, RoleAuditor, RolePayroll}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	if r == RoleCitizen || r == RoleRegistry {
		return true
	}
	for _, s := range StaffRoles {
		if s == r {
			return true
		}
	}
	return false
}

// User is an account that can sign in: a staff member or a citizen.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"` // staff: login name; citizens: "fin:<FIN>"
	Name     string `json:"name"`
	Email    string `json:"email"`
	Roles    []Role `json:"roles"`
	// CentreIDs scopes staff to centres; empty means every centre (for
	// administrators and auditors of the whole network).
	CentreIDs []int64 `json:"centre_ids"`
	// PersonID links the account to the person it is, for citizens and for
	// staff (so nobody decides their own or a relative's application).
	PersonID    *int64     `json:"person_id,omitempty"`
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// HasRole reports whether u has role r.
func (u *User) HasRole(r Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// CitizenOnly reports whether u is a citizen with no staff role: such a
// user acts only on their own applications and offers. A nil u is not.
func (u *User) CitizenOnly() bool {
	if u == nil || !u.HasRole(RoleCitizen) {
		return false
	}
	for _, r := range StaffRoles {
		if u.HasRole(r) {
			return false
		}
	}
	return true
}

// InCentre reports whether u may act for centre id.
func (u *User) InCentre(id int64) bool {
	if len(u.CentreIDs) == 0 {
		return true
	}
	for _, c := range u.CentreIDs {
		if c == id {
			return true
		}
	}
	return false
}

// Validate checks a user account; its texts must be single-line ValidText.
func (u *User) Validate() error {
	var v Validation
	if len(u.Username) < 3 || len(u.Username) > 64 {
		v.Add("username", "username.length", "Username has 3 to 64 characters.")
	}
	v.checkText("username", u.Username, false)
	v.checkText("name", u.Name, false)
	v.checkText("email", u.Email, false)
	if len(u.Roles) == 0 {
		v.Add("roles", "required", "At least one role is required.")
	}
	for i, r := range u.Roles {
		if !ValidRole(r) {
			v.Add(fieldIndex("roles", i, "role"), "role.invalid", "Unknown role %q.", r)
		}
	}
	// "fin:<FIN>" is the username of citizens' accounts made at sign-in
	// through OpenID Connect (signin.go): reserved for citizen-only ones.
	if len(u.Username) >= 4 && u.Username[:4] == "fin:" && len(u.Roles) > 0 && !u.CitizenOnly() {
		v.Add("username", "username.reserved", "Usernames starting with fin: are for citizens' accounts only.")
	}
	return v.Err("The user account has errors.")
}

// Session is a signed-in browser. The token the browser holds is never
// stored; only its hash is.
type Session struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	User       *User     `json:"user,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}

// APIToken is a bearer token for API clients. Like sessions, only its hash
// is stored; the secret is shown once at creation. A token acts as its user
// within its Scopes: the user's roles decide what the user may do, the
// scopes narrow that for the token (scope.go).
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	User       *User      `json:"user,omitempty"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters, to recognise it
	Scopes     []Scope    `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Revocation counts what RevokeUser ended.
type Revocation struct {
	Sessions int `json:"sessions"`
	Tokens   int `json:"tokens"`
}

// Sign-in policy: after MaxFailedSignIns wrong passwords in a row the
// account is locked for LockoutDuration; sessions expire after
// SessionIdleTimeout without use or SessionMaxAge after sign-in.
const (
	MaxFailedSignIns   = 5
	LockoutDuration    = 15 * time.Minute
	SessionIdleTimeout = 2 * time.Hour
	SessionMaxAge      = 12 * time.Hour
	MinPasswordLength  = 10
)

// SignInMeta describes where a sign-in comes from.
type SignInMeta struct {
	IP        string
	UserAgent string
}

// UserFilter selects users; nil fields do not filter.
type UserFilter struct {
	ID       *int64
	Username *string
	Role     *Role
	CentreID *int64
	Offset   int
	Limit    int
}

// UserUpdate changes a user account; nil fields are left alone.
type UserUpdate struct {
	// PersonID links the account to the registry's person it is (a
	// pointer to 0 unlinks it). A staff member not linked to a person may
	// not decide applications: the check that nobody decides their own or
	// a household member's application needs the link.
	PersonID *int64
	// Disabled disables or enables the account. Disabling it ends its
	// sessions at once; its API tokens are refused while it is disabled.
	Disabled *bool
}

// UserService manages accounts, password sign-in, sessions and API tokens.
type UserService interface {
	// FindUserByID returns a user. ENOTFOUND if there is none.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUserByUsername returns a user. ENOTFOUND if there is none.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUsers returns matching users ordered by username, and the total.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)

	// CreateUser validates and stores u with the password hashed (argon2id);
	// an empty password makes an account that cannot sign in by password.
	// EINVALID for a password shorter than MinPasswordLength, ECONFLICT
	// if the username is taken.
	CreateUser(ctx context.Context, u *User, password string) error

	// UpdateUser changes the account id as upd says and returns it.
	// Administrators' work (dost user link). ENOTFOUND for an unknown
	// user, EINVALID (field "person_id", code "person.unknown") for a
	// person not in the registry.
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, error)

	// SetPassword replaces a user's password and ends their sessions.
	SetPassword(ctx context.Context, userID int64, password string) error

	// ChangePassword is a signed-in user changing their own password: it
	// checks current, stores next and ends the user's other sessions
	// (all but keepSession; 0 ends them all). EINVALID (field
	// "current_password", code "password.wrong") for a wrong current
	// password, EINVALID (field "password") for a short next one,
	// ENOTFOUND for an unknown user. Wrong guesses count towards the
	// lock-out like sign-ins; a locked account is EFORBIDDEN.
	ChangePassword(ctx context.Context, userID int64, current, next string, keepSession int64) error

	// SignIn checks the password and opens a session, returning it and the
	// secret token for the cookie. A wrong username or password is
	// EUNAUTHORIZED with one message for both; a disabled or locked account
	// is EFORBIDDEN. Each failure counts towards the lock-out; a success
	// resets the count.
	SignIn(ctx context.Context, username, password string, meta SignInMeta) (*Session, string, error)

	// SignOut ends the session with the token. Unknown tokens are ignored.
	SignOut(ctx context.Context, token string) error

	// FindSessionByToken returns the live session (with its user) for a
	// cookie token and extends its idle expiry. EUNAUTHORIZED if the token
	// is unknown, expired or its user disabled.
	FindSessionByToken(ctx context.Context, token string) (*Session, error)

	// FindSessions returns the user's live sessions, the most recently
	// used first.
	FindSessions(ctx context.Context, userID int64) ([]*Session, error)

	// RevokeSession ends one of the user's sessions. ENOTFOUND if the user
	// has no such session (another user's session is not found either).
	RevokeSession(ctx context.Context, userID, sessionID int64) error

	// RevokeOtherSessions ends every session of the user except
	// keepSession (0: all of them) and returns how many it ended.
	RevokeOtherSessions(ctx context.Context, userID, keepSession int64) (int, error)

	// RevokeUser ends all sessions and revokes all live API tokens of a
	// user: administrators' work (a lost laptop, a leaver). ENOTFOUND for
	// an unknown user.
	RevokeUser(ctx context.Context, userID int64) (Revocation, error)

	// CreateAPIToken makes a bearer token for the user valid for ttl and
	// limited to scopes (none: ScopeAll), returning the record and the
	// secret, shown only now. EINVALID for a bad name, ttl or scope.
	CreateAPIToken(ctx context.Context, userID int64, name string, ttl time.Duration, scopes ...Scope) (*APIToken, string, error)

	// FindAPIToken returns the live token of a bearer secret with its
	// user and scopes. EUNAUTHORIZED if the token is unknown, expired or
	// revoked, or its user disabled.
	FindAPIToken(ctx context.Context, secret string) (*APIToken, error)

	// FindUserByAPIToken returns the user of a live bearer token, as
	// FindAPIToken.
	FindUserByAPIToken(ctx context.Context, token string) (*User, error)

	// FindAPITokens returns the user's tokens, live or not, newest first.
	FindAPITokens(ctx context.Context, userID int64) ([]*APIToken, error)

	// RevokeAPIToken ends a token. ENOTFOUND if unknown.
	RevokeAPIToken(ctx context.Context, id int64) error
}

type userContextKey struct{}

// NewContextWithUser returns ctx carrying the signed-in user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey{}, u)
}

// UserFromContext returns the signed-in user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey{}).(*User)
	return u
}
