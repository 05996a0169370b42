package http

import (
	"net/http"
	"strconv"

	"github.com/dost-az/dost"
)

// webhookRoutes returns the webhook subscriptions' rows of the route
// table: administrators only (a subscription sends dost's events out of
// the agency).
func (s *Server) webhookRoutes() []Route {
	admins := []dost.Role{dost.RoleAdmin}
	return []Route{
		{Pattern: "GET /api/v1/webhooks", Access: ByRole, Roles: admins, Handler: s.handleWebhookList},
		{Pattern: "POST /api/v1/webhooks", Access: ByRole, Roles: admins, Handler: s.handleWebhookCreate},
		{Pattern: "GET /api/v1/webhooks/{id}", Access: ByRole, Roles: admins, Handler: s.handleWebhookGet},
		{Pattern: "DELETE /api/v1/webhooks/{id}", Access: ByRole, Roles: admins, Handler: s.handleWebhookDelete},
		{Pattern: "GET /api/v1/webhooks/{id}/deliveries", Access: ByRole, Roles: admins, Handler: s.handleWebhookDeliveries},
	}
}

// errNoWebhooks answers the webhook routes on a server without a
// WebhookService.
var errNoWebhooks = dost.Errorf(dost.ENOTFOUND, "Webhooks are not available on this server.")

// webhooks returns the WebhookService, or answers 404 and returns nil.
func (s *Server) webhooks(w http.ResponseWriter, r *http.Request) dost.WebhookService {
	if s.Webhooks == nil {
		s.Error(w, r, errNoWebhooks)
		return nil
	}
	return s.Webhooks
}

// handleWebhookList handles "GET /api/v1/webhooks": every subscription,
// removed ones too, by ID, without secrets.
func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	svc := s.webhooks(w, r)
	if svc == nil {
		return
	}
	list, err := svc.FindWebhookSubscriptions(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, len(list), 0, 0))
}

// webhookInput is the body of "POST /api/v1/webhooks".
type webhookInput struct {
	URL         string                  `json:"url"`
	EventTypes  []dost.WebhookEventType `json:"event_types"`
	Description string                  `json:"description"`
}

// handleWebhookCreate handles "POST /api/v1/webhooks": a new
// subscription. 201 with it and its secret, shown this once; 400 with
// field errors (url, event_types, description).
func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	svc := s.webhooks(w, r)
	if svc == nil {
		return
	}
	sub := &dost.WebhookSubscription{URL: in.URL, EventTypes: in.EventTypes, Description: in.Description}
	if u := dost.UserFromContext(r.Context()); u != nil {
		sub.CreatedBy = u.ID
	}
	if err := svc.CreateWebhookSubscription(r.Context(), sub); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(sub.ID, 10))
	w.Header().Set("Cache-Control", "no-store") // the secret
	writeJSON(w, http.StatusCreated, sub)
}

// webhookID returns the service and the subscription ID of the path, or
// writes the error and returns ok false.
func (s *Server) webhookID(w http.ResponseWriter, r *http.Request) (svc dost.WebhookService, id int64, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	svc = s.webhooks(w, r)
	return svc, id, svc != nil
}

// handleWebhookGet handles "GET /api/v1/webhooks/{id}". 404 if unknown.
func (s *Server) handleWebhookGet(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.webhookID(w, r)
	if !ok {
		return
	}
	sub, err := svc.FindWebhookSubscriptionByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// handleWebhookDelete handles "DELETE /api/v1/webhooks/{id}": the
// subscription removed (inactive; its pending deliveries fail; its
// deliveries stay readable). 204; 404 if unknown.
func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.webhookID(w, r)
	if !ok {
		return
	}
	if err := svc.RemoveWebhookSubscription(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleWebhookDeliveries handles "GET /api/v1/webhooks/{id}/deliveries":
// a page of the subscription's deliveries, newest first, filtered by
// status (pending, delivered, failed). 404 if the subscription is unknown.
func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.webhookID(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var v dost.Validation
	f := dost.WebhookDeliveryFilter{SubscriptionID: id}
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	for _, st := range q["status"] {
		switch ds := dost.WebhookDeliveryStatus(st); ds {
		case dost.WebhookPending, dost.WebhookDelivered, dost.WebhookFailed:
			f.Statuses = append(f.Statuses, ds)
		default:
			v.Add("status", "webhook.status_unknown", "status is pending, delivered or failed.")
		}
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := svc.FindWebhookSubscriptionByID(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	list, total, err := svc.FindWebhookDeliveries(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}
