-- +goose Up
-- The audit trail (issue 7; audit.go, sqlstore/audit.go): who did what to
-- which record, when, from where and why. Append-only (the triggers refuse
-- UPDATE, DELETE and TRUNCATE) and hash-chained: each event's hash covers
-- the one before and the event's canonical encoding
-- (dost.AuditEvent.CanonicalBytes), so `dost audit verify` finds a changed,
-- removed or inserted event.
--
-- seq numbers the events from 1 without gaps; audit_chain is the chain's
-- one-row head (the last seq and hash), locked FOR UPDATE and moved in
-- every append's transaction, which serialises appends across nodes (the
-- chain never forks); it shows a cut-off tail, and its seq may only grow.
-- actor_roles and actor_centres are comma-separated; person_id 0 means none.

CREATE TABLE audit_events (
    seq           BIGINT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      BIGINT NOT NULL DEFAULT 0,
    actor_name    TEXT   NOT NULL DEFAULT '',
    actor_roles   TEXT   NOT NULL DEFAULT '',
    actor_centres TEXT   NOT NULL DEFAULT '',
    action        TEXT   NOT NULL,
    object_kind   TEXT   NOT NULL DEFAULT '',
    object_id     TEXT   NOT NULL DEFAULT '',
    person_id     BIGINT NOT NULL DEFAULT 0,
    ip            TEXT   NOT NULL DEFAULT '',
    request_id    TEXT   NOT NULL DEFAULT '',
    route         TEXT   NOT NULL DEFAULT '',
    reason        TEXT   NOT NULL DEFAULT '',
    detail        TEXT   NOT NULL DEFAULT '',
    prev_hash     TEXT   NOT NULL,
    hash          TEXT   NOT NULL
);
CREATE INDEX audit_events_person ON audit_events (person_id, action, seq) WHERE person_id <> 0;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_at ON audit_events (at);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE audit_chain (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        BIGINT NOT NULL,
    hash       TEXT   NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
INSERT INTO audit_chain (id, seq, hash, updated_at)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '1970-01-01T00:00:00Z');

-- +goose StatementBegin
CREATE FUNCTION audit_chain_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'the audit chain head only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_chain_forward BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_forward_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_events;
DROP FUNCTION audit_chain_forward_only();
DROP FUNCTION audit_events_append_only();
