-- +goose Up
-- A life event's ID is its sender's: events are known by (source, id), so
-- that two registries using one ID send two events. content_hash is the
-- SHA-256 of the event's content (proactive.ContentHash), which a repeat
-- must match; events stored before have it empty, and a repeat of one is
-- accepted as it was before (the content is unknown).
--
-- SQLite cannot change a primary key: the table is made anew, filled,
-- and renamed, and its indexes are made again (dropping the old table
-- dropped them). No foreign key refers to life_events, nor does it to
-- any table, so the drop and rename are safe with foreign_keys on and
-- inside goose's transaction.

CREATE TABLE life_events_new (
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    fin          TEXT NOT NULL DEFAULT '',
    date         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    outcome      TEXT,
    error        TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    content_hash TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, id)
);
INSERT INTO life_events_new (id, kind, fin, date, payload, status, outcome, error, source, received_at, processed_at)
    SELECT id, kind, fin, date, payload, status, outcome, error, source, received_at, processed_at FROM life_events;
DROP TABLE life_events;
ALTER TABLE life_events_new RENAME TO life_events;
CREATE INDEX life_events_status ON life_events (status, received_at);
CREATE INDEX life_events_fin ON life_events (fin, date);
CREATE INDEX life_events_id ON life_events (id);

-- +goose Down
-- Fails if two sources used one ID: such events cannot be told apart by
-- the old key.
CREATE TABLE life_events_old (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    fin          TEXT NOT NULL DEFAULT '',
    date         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    outcome      TEXT,
    error        TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
INSERT INTO life_events_old (id, kind, fin, date, payload, status, outcome, error, source, received_at, processed_at)
    SELECT id, kind, fin, date, payload, status, outcome, error, source, received_at, processed_at FROM life_events;
DROP TABLE life_events;
ALTER TABLE life_events_old RENAME TO life_events;
CREATE INDEX life_events_status ON life_events (status, received_at);
CREATE INDEX life_events_fin ON life_events (fin, date);
