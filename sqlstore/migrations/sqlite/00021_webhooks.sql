-- +goose Up
-- Webhooks out (issue 7; webhook.go, package webhooks, sqlstore/webhook.go):
-- subscriptions of other systems to dost's events, and the deliveries
-- outbox. A delivery is written in the transaction of the change it
-- announces (a decision, a bank report's payments paid), one per event and
-- active subscription, so nothing is announced that rolled back and
-- nothing committed goes unannounced.
--
-- Unique constraints are the last line of defence:
--   webhook_deliveries_event: one delivery per subscription and event,
--     however often the change's transaction is retried.
-- event_types is the subscription's event types, space-separated.
-- lease_token grows by one at each claim: a worker records the outcome of
-- its attempt only while its claim is the last (a fencing token).
-- payload is the exact body sent (text, not JSON, so every attempt sends
-- and signs the same bytes). Times are UTC text.

CREATE TABLE webhook_subscriptions (
    id          INTEGER PRIMARY KEY,
    url         TEXT    NOT NULL,
    event_types TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    active      INTEGER NOT NULL,
    created_by  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    removed_at  TEXT
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES webhook_subscriptions (id),
    event_id         TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    lease_token      INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    delivered_at     TEXT,
    created_at       TEXT    NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
