package dost

import (
	"context"
	"strings"
	"time"
)

// CertificateKind is what a certificate ("arayış") attests. Each kind is
// one of the catalogue's certificate services (category 01).
type CertificateKind string

// Certificate kinds.
const (
	// CertificatePension attests the person's labour pensions (service
	// 01-01-01-00): each active pension award whose beneficiary is the
	// person (not one only paid to them) with its programme, the day
	// it was assigned and its monthly amount, or that none is awarded.
	CertificatePension CertificateKind = "pension"
	// CertificateBenefits attests every active award the person is the
	// beneficiary of (service 01-01-02-00): their own and their
	// household's, with programme, kind, amount and start; or that none is
	// awarded. An award only paid to them (a child's, as the payee) is
	// the child's and not listed.
	CertificateBenefits CertificateKind = "benefits"
	// CertificateRegistration attests the person's registry data: full
	// name, masked FIN, birth date, registered address, and the household
	// they belong to (its number, their role, how many members).
	CertificateRegistration CertificateKind = "registration"
)

// CertificateKinds lists the kinds in the order the portal offers them.
var CertificateKinds = []CertificateKind{CertificatePension, CertificateBenefits, CertificateRegistration}

// ValidCertificateKind reports whether k is a known kind.
func ValidCertificateKind(k CertificateKind) bool {
	for _, x := range CertificateKinds {
		if x == k {
			return true
		}
	}
	return false
}

// CertificateValidity is how long a certificate is in force after the day
// it was issued: it states facts of that day, and a bank or a school
// asks for a recent one. The verification page says "expired" after it.
const CertificateValidity = 30 // days

// CertificateDailyLimit is how many certificates one person may get in a
// day (in Baku), whoever issues them: enough for every kind in every
// language, few enough that a loop cannot fill the disk.
const CertificateDailyLimit = 20

// ECertificateLimit is the error code of a certificate refused because the
// person has CertificateDailyLimit of the day already; the HTTP layer
// answers it 429 with Retry-After (the next day in Baku).
const ECertificateLimit = "certificate.limit"

// IsPension reports whether a programme is a labour pension: its service is
// in the catalogue's labour pensions group (05-01-…).
func IsPension(p Programme) bool { return strings.HasPrefix(p.ServiceCode, "05-01-") }

// CertificateFacts are what a certificate states, frozen when it is issued:
// the PDF and the public verification page both show exactly these, even
// after the registry or the awards change. The FIN is kept masked, as the
// certificate prints it.
type CertificateFacts struct {
	Name      string `json:"name"`
	FIN       string `json:"fin"` // masked, e.g. "5*****A"
	BirthDate Date   `json:"birth_date"`
	// AsOf is the day the facts were read (the day of issue, in Baku).
	AsOf Date `json:"as_of"`
	// Registration certificates: the registered address and household.
	Region    string                `json:"region,omitempty"`
	District  string                `json:"district,omitempty"`
	Address   string                `json:"address,omitempty"`
	Household *CertificateHousehold `json:"household,omitempty"`
	// Pension and benefits certificates: the awards attested; empty when
	// the certificate attests that none is awarded.
	Awards []CertificateAward `json:"awards,omitempty"`
}

// CertificateHousehold is a person's household as a registration
// certificate states it.
type CertificateHousehold struct {
	Code    string        `json:"code"`
	Role    HouseholdRole `json:"role"`
	Members int           `json:"members"`
}

// CertificateAward is one award a certificate attests, with the
// programme's name in every language so the verification page can show it
// in the visitor's.
type CertificateAward struct {
	Programme string    `json:"programme"`
	Name      Text      `json:"name"`
	Kind      AwardKind `json:"kind"`
	Amount    Money     `json:"amount"` // per month, or once
	Start     Date      `json:"start"`
	// Household: the award is the household's (e.g. TSSA), not the
	// person's own.
	Household bool `json:"household,omitempty"`
}

// CertificateStatus is what the verification page says of a certificate.
type CertificateStatus string

// Certificate statuses.
const (
	CertificateValid   CertificateStatus = "valid"
	CertificateExpired CertificateStatus = "expired"
)

// Certificate is an issued certificate: a PDF about one person, in one
// language, with a public code that verifies it. Certificates are never
// changed or deleted; each issue with new facts is a new certificate with
// a new code.
type Certificate struct {
	ID   int64           `json:"id"`
	Code string          `json:"code"` // e.g. "7K3M-Q9TX-2BHD-WF0E", unique, 80 random bits
	Kind CertificateKind `json:"kind"`
	// PersonID is the person the certificate is about.
	PersonID int64 `json:"person_id"`
	// Language is the language the certificate is written in (az, en, ru).
	Language string `json:"language"`
	// IssuedBy is the user who issued it: the citizen themselves or the
	// operator at the window.
	IssuedBy   int64            `json:"issued_by"`
	IssuedAt   time.Time        `json:"issued_at"`
	ValidUntil Date             `json:"valid_until"` // last day in force
	Facts      CertificateFacts `json:"facts"`
	// SHA256 is the hex SHA-256 of PDF, the exact bytes handed out.
	SHA256 string `json:"sha256"`
	// PDF is the document; filled by IssueCertificate,
	// FindCertificateByID and FindCertificateByCode, not by
	// FindCertificates.
	PDF []byte `json:"-"`
}

// Status returns whether c is in force on day d.
func (c *Certificate) Status(d Date) CertificateStatus {
	if !c.ValidUntil.IsZero() && d.After(c.ValidUntil) {
		return CertificateExpired
	}
	return CertificateValid
}

// CertificateRequest asks for a certificate.
type CertificateRequest struct {
	PersonID int64
	Kind     CertificateKind
	// Language is az, en or ru; "" for the person's own language.
	Language string
}

// Validate checks the request. EINVALID names the bad fields.
func (q CertificateRequest) Validate() error {
	var v Validation
	if q.PersonID <= 0 {
		v.Add("person", "required", "The person is required.")
	}
	if !ValidCertificateKind(q.Kind) {
		v.Add("kind", "certificate.kind_invalid", "Unknown certificate kind %q.", q.Kind)
	}
	if q.Language != "" && !ValidLanguage(q.Language) {
		v.Add("lang", "language.invalid", "Unknown language %q.", q.Language)
	}
	return v.Err("The certificate request is invalid.")
}

// CertificateFilter selects certificates; zero fields do not filter.
type CertificateFilter struct {
	PersonID int64
	Kind     CertificateKind
	Offset   int
	Limit    int
}

// CertificateRenderer makes a certificate's document; pdf.CertificateRenderer
// implements it.
type CertificateRenderer interface {
	// NewCertificateCode returns a new random code that cannot be guessed,
	// in canonical form.
	NewCertificateCode() string
	// RenderCertificate returns the PDF of c from its code, kind,
	// language, dates and facts; the same certificate gives the same
	// bytes. EINVALID if c lacks what the document needs.
	RenderCertificate(c *Certificate) ([]byte, error)
}

// CertificateService issues and finds certificates.
//
// Who may: a citizen (dost.User.CitizenOnly) only about the person their
// account is (PersonID); any staff user about anyone (the routes narrow
// this to the operators at the window and their supervisors). Reading by
// code needs no user: the code is the proof of holding the certificate.
type CertificateService interface {
	// IssueCertificate reads the facts of q's kind about q's person as they
	// are now, renders the PDF and stores both, returning the certificate
	// with its new code and PDF. When a certificate about the person of
	// the same kind and language was issued today (in Baku) and its facts
	// are the same, that one is returned instead: a double click, a retry
	// or two calls at once give one certificate. ECertificateLimit when
	// the person has CertificateDailyLimit certificates of the day
	// already and this would be a new one. EINVALID for a bad
	// request, ENOTFOUND for an unknown person, EUNAUTHORIZED without a
	// user, EFORBIDDEN for a citizen asking about someone else.
	IssueCertificate(ctx context.Context, q CertificateRequest) (*Certificate, error)

	// FindCertificateByID returns a certificate with its PDF. A citizen
	// finds only their own: another's is ENOTFOUND, as an unknown one is;
	// EUNAUTHORIZED without a user.
	FindCertificateByID(ctx context.Context, id int64) (*Certificate, error)

	// FindCertificateByCode returns the certificate with this canonical
	// code, its PDF included. ENOTFOUND if there is none.
	FindCertificateByCode(ctx context.Context, code string) (*Certificate, error)

	// FindCertificates returns matching certificates without their PDFs,
	// newest first, and the total count. A citizen sees only their own:
	// the filter's person is forced to theirs.
	FindCertificates(ctx context.Context, f CertificateFilter) ([]*Certificate, int, error)
}
