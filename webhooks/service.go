package webhooks

import (
	"context"
	"errors"

	"github.com/dost-az/dost"
)

// Service implements dost.WebhookService over a Store with the Client's
// URL policy: a subscription's URL must be one the Client may reach.
type Service struct {
	Store  Store
	Client *Client
}

var _ dost.WebhookService = (*Service)(nil)

// CreateWebhookSubscription implements dost.WebhookService.
func (s *Service) CreateWebhookSubscription(ctx context.Context, sub *dost.WebhookSubscription) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if err := s.Client.CheckURL(sub.URL); errors.Is(err, ErrPrivateAddress) {
		return dost.FieldErr("url", "webhook.url_private",
			"The URL must be https to a public address; private, loopback and plain http addresses are allowed only when the server is started with --webhooks-allow-private.")
	} else if err != nil {
		return dost.FieldErr("url", "webhook.url_invalid", "The URL is not valid.")
	}
	sub.Secret = NewSecret()
	sub.Active = true
	if err := s.Store.CreateWebhookSubscription(ctx, sub); err != nil {
		sub.Secret = ""
		return err
	}
	return nil
}

// FindWebhookSubscriptions implements dost.WebhookService.
func (s *Service) FindWebhookSubscriptions(ctx context.Context) ([]*dost.WebhookSubscription, error) {
	return s.Store.FindWebhookSubscriptions(ctx)
}

// FindWebhookSubscriptionByID implements dost.WebhookService.
func (s *Service) FindWebhookSubscriptionByID(ctx context.Context, id int64) (*dost.WebhookSubscription, error) {
	return s.Store.FindWebhookSubscriptionByID(ctx, id)
}

// RemoveWebhookSubscription implements dost.WebhookService.
func (s *Service) RemoveWebhookSubscription(ctx context.Context, id int64) error {
	return s.Store.RemoveWebhookSubscription(ctx, id)
}

// FindWebhookDeliveries implements dost.WebhookService.
func (s *Service) FindWebhookDeliveries(ctx context.Context, f dost.WebhookDeliveryFilter) ([]*dost.WebhookDelivery, int, error) {
	return s.Store.FindWebhookDeliveries(ctx, f)
}
