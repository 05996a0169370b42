-- +goose Up
-- The audit trail (issue 7; audit.go, sqlstore/audit.go): who did what to
-- which record, when, from where and why. Append-only (the triggers refuse
-- UPDATE and DELETE) and hash-chained: each event's hash covers the one
-- before and the event's canonical encoding (dost.AuditEvent.CanonicalBytes),
-- so `dost audit verify` finds a changed, removed or inserted event.
--
-- seq numbers the events from 1 without gaps; audit_chain is the chain's
-- one-row head (the last seq and hash), read and moved in every append's
-- transaction: appends are serialised by SQLite's single writer, the head
-- shows a cut-off tail, and its seq may only grow. actor_roles and
-- actor_centres are comma-separated; person_id 0 means none. Times are
-- UTC text with microseconds, as everywhere in SQLite.

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    actor_id      INTEGER NOT NULL DEFAULT 0,
    actor_name    TEXT    NOT NULL DEFAULT '',
    actor_roles   TEXT    NOT NULL DEFAULT '',
    actor_centres TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    object_kind   TEXT    NOT NULL DEFAULT '',
    object_id     TEXT    NOT NULL DEFAULT '',
    person_id     INTEGER NOT NULL DEFAULT 0,
    ip            TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    route         TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT '',
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_events_person ON audit_events (person_id, action, seq) WHERE person_id <> 0;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_at ON audit_events (at);

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

CREATE TABLE audit_chain (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
INSERT INTO audit_chain (id, seq, hash, updated_at)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '1970-01-01T00:00:00.000000000Z');

-- +goose StatementBegin
CREATE TRIGGER audit_chain_no_rewind BEFORE UPDATE ON audit_chain WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head only moves forward');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head cannot be deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_events;
