-- +goose Up
-- A life event's ID is its sender's: events are known by (source, id), so
-- that two registries using one ID send two events. content_hash is the
-- SHA-256 of the event's content (proactive.ContentHash), which a repeat
-- must match; events stored before have it empty, and a repeat of one is
-- accepted as it was before (the content is unknown).

ALTER TABLE life_events
    DROP CONSTRAINT life_events_pkey,
    ADD PRIMARY KEY (source, id),
    ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX life_events_id ON life_events (id);

-- +goose Down
-- Fails if two sources used one ID: such events cannot be told apart by
-- the old key.
DROP INDEX life_events_id;
ALTER TABLE life_events
    DROP CONSTRAINT life_events_pkey,
    ADD PRIMARY KEY (id),
    DROP COLUMN content_hash;
