package dost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookEventType names an event other systems may subscribe to.
type WebhookEventType string

// Webhook event types. Their payloads carry ids, codes, amounts and dates,
// never a person's FIN, name, phone or account: a subscriber that needs
// more asks the API with its own token, under its own role and audit.
const (
	// EventApplicationDecided: an application was approved or refused
	// (also on appeal: an overturn is a new decision). Data:
	// ApplicationDecidedData.
	EventApplicationDecided WebhookEventType = "application.decided"
	// EventPaymentPaid: a bank report said a payment was paid. Data:
	// PaymentPaidData.
	EventPaymentPaid WebhookEventType = "payment.paid"
)

// WebhookEventTypes are the event types there are, in order.
var WebhookEventTypes = []WebhookEventType{EventApplicationDecided, EventPaymentPaid}

// WebhookEvent is the body of a webhook request, shaped as the Standard
// Webhooks specification suggests: a type, the time of the event, and the
// event's data. ID names the event; every subscription's delivery of one
// event carries the same ID, so a receiver with two subscriptions can drop
// the second.
type WebhookEvent struct {
	ID        string           `json:"id"`
	Type      WebhookEventType `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      any              `json:"data"`
}

// ApplicationDecidedData is the data of EventApplicationDecided: what an
// agency's system needs to act on a decision (the application it follows,
// the service, the outcome and when), and nothing that names the person.
type ApplicationDecidedData struct {
	ApplicationID int64           `json:"application_id"`
	DecisionID    int64           `json:"decision_id"`
	Service       string          `json:"service"` // the catalogue's code, e.g. 05-04-02-00
	Decision      DecisionOutcome `json:"decision"`
	DecidedAt     time.Time       `json:"decided_at"`
}

// PaymentPaidData is the data of EventPaymentPaid. Amount is in manat as
// a decimal string, as everywhere in dost's API; PaidOn is the date the
// bank reported.
type PaymentPaidData struct {
	PaymentID int64  `json:"payment_id"`
	AwardID   int64  `json:"award_id"`
	Period    Month  `json:"period"`
	Amount    Money  `json:"amount"`
	Currency  string `json:"currency"`
	PaidOn    Date   `json:"paid_on"`
}

// WebhookSubscription is another system's subscription to events: dost
// POSTs each event of EventTypes to URL, signed with Secret. Secret is
// set by CreateWebhookSubscription and returned that once; reads leave it
// empty. A removed subscription is inactive and gets no more deliveries.
type WebhookSubscription struct {
	ID          int64              `json:"id"`
	URL         string             `json:"url"`
	EventTypes  []WebhookEventType `json:"event_types"`
	Secret      string             `json:"secret,omitempty"`
	Description string             `json:"description,omitempty"`
	Active      bool               `json:"active"`
	CreatedBy   int64              `json:"created_by"`
	CreatedAt   time.Time          `json:"created_at"`
	RemovedAt   *time.Time         `json:"removed_at,omitempty"`
}

// MaxWebhookURL is the longest subscription URL accepted, in bytes.
const MaxWebhookURL = 2000

// Validate checks the subscription's form: an absolute http or https URL
// with a host, no user or password and no fragment; one or more known
// event types, none twice; a description of at most 200 bytes of
// printable text. Whether the URL's host may be reached (private networks)
// is the delivery's policy, not the form's. It returns an EINVALID *Error
// with field errors.
func (s *WebhookSubscription) Validate() error {
	var v Validation
	if err := checkWebhookURL(s.URL); err != "" {
		v.Add("url", "webhook.url_invalid", "The URL %s", err)
	}
	if len(s.EventTypes) == 0 {
		v.Add("event_types", "required", "Name one event type or more.")
	}
	for i, t := range s.EventTypes {
		if !slices.Contains(WebhookEventTypes, t) {
			v.Add("event_types", "webhook.event_unknown", "%q is not an event type; there are %v.", t, WebhookEventTypes)
			break
		}
		if slices.Contains(s.EventTypes[:i], t) {
			v.Add("event_types", "webhook.event_twice", "%q is named twice.", t)
			break
		}
	}
	if len(s.Description) > 200 || !ValidText(s.Description, false) {
		v.Add("description", "webhook.description_invalid", "The description is longer than 200 bytes or has characters that are not allowed.")
	}
	return v.Err("The webhook subscription has errors.")
}

// checkWebhookURL returns what is wrong with u, or "".
func checkWebhookURL(u string) string {
	if u == "" {
		return "is required."
	}
	if len(u) > MaxWebhookURL || !ValidText(u, false) || strings.ContainsAny(u, " \t") {
		return fmt.Sprintf("is longer than %d bytes or has characters that are not allowed.", MaxWebhookURL)
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Hostname() == "" {
		return "must be an absolute http or https URL with a host."
	}
	if p.User != nil || p.Fragment != "" {
		return "may not carry a user, a password or a fragment."
	}
	return ""
}

// Subscribes reports whether s is active and subscribed to t.
func (s *WebhookSubscription) Subscribes(t WebhookEventType) bool {
	return s.Active && slices.Contains(s.EventTypes, t)
}

// WebhookDeliveryStatus is where a delivery is.
type WebhookDeliveryStatus string

// Webhook delivery statuses.
const (
	WebhookPending   WebhookDeliveryStatus = "pending"   // waiting for (another) attempt
	WebhookDelivered WebhookDeliveryStatus = "delivered" // the receiver answered 2xx
	WebhookFailed    WebhookDeliveryStatus = "failed"    // gave up: no more attempts
)

// WebhookDelivery is one event to one subscription, in the deliveries
// outbox: written in the transaction of the change it announces, sent
// later with retries. Each attempt sends the same Payload under the same
// MessageID (the webhook-id header), so a receiver drops repeats.
type WebhookDelivery struct {
	ID             int64                 `json:"id"`
	SubscriptionID int64                 `json:"subscription_id"`
	EventID        string                `json:"event_id"`
	EventType      WebhookEventType      `json:"event_type"`
	Payload        json.RawMessage       `json:"payload"`
	Status         WebhookDeliveryStatus `json:"status"`
	Attempts       int                   `json:"attempts"`
	NextAttemptAt  time.Time             `json:"next_attempt_at"`
	LastStatusCode int                   `json:"last_status_code,omitempty"` // the receiver's last HTTP status; 0: none
	LastError      string                `json:"last_error,omitempty"`
	DeliveredAt    *time.Time            `json:"delivered_at,omitempty"`
	CreatedAt      time.Time             `json:"created_at"`
}

// MessageID is the delivery's webhook-id: unique per event and
// subscription, the same at every attempt.
func (d *WebhookDelivery) MessageID() string {
	return fmt.Sprintf("msg_%s_s%d", d.EventID, d.SubscriptionID)
}

// WebhookDeliveryFilter selects deliveries; zero fields do not filter.
type WebhookDeliveryFilter struct {
	SubscriptionID int64
	Statuses       []WebhookDeliveryStatus
	Offset         int
	Limit          int
}

// WebhookService keeps the subscriptions of other systems to dost's
// events and shows their deliveries. Only administrators may call it (the
// HTTP layer's route table checks).
type WebhookService interface {
	// CreateWebhookSubscription validates s, generates its secret and
	// stores it active, created by s.CreatedBy now; it sets s.ID,
	// s.Secret, s.Active and s.CreatedAt. The secret is returned this once.
	// EINVALID (field errors) for a bad subscription, or a URL the
	// delivery may not reach (field "url", code webhook.url_private).
	CreateWebhookSubscription(ctx context.Context, s *WebhookSubscription) error
	// FindWebhookSubscriptions returns every subscription, removed ones
	// too, by ID, without secrets.
	FindWebhookSubscriptions(ctx context.Context) ([]*WebhookSubscription, error)
	// FindWebhookSubscriptionByID returns subscription id without its
	// secret. ENOTFOUND if there is none.
	FindWebhookSubscriptionByID(ctx context.Context, id int64) (*WebhookSubscription, error)
	// RemoveWebhookSubscription deactivates subscription id: no event is
	// delivered to it any more, and its pending deliveries fail. Its
	// deliveries stay readable. Removing a removed one changes nothing.
	// ENOTFOUND if there is none.
	RemoveWebhookSubscription(ctx context.Context, id int64) error
	// FindWebhookDeliveries returns the deliveries matching f, newest
	// first, one page (f.Offset, f.Limit; at most 500, 50 if 0), and the
	// total count of matches.
	FindWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, int, error)
}
