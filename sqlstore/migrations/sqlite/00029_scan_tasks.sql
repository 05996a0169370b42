-- +goose Up
-- scan_tasks are the beneficiaries an attempt at a shard of a scan set out
-- to award (offer false) or offer (offer true) a programme to, recorded
-- before it makes any (proactive.Service.ScanShardOf): the beneficiary is
-- a person (household_id 0) or a household (person_id 0). A retried
-- shard counts what an earlier attempt made, and finds held, as made by
-- the scan, so that the scan's summary counts each award and offer it
-- made once, whichever attempt made it. A shard's rows are deleted when
-- its summary is recorded, a scan's when it finishes or fails.

CREATE TABLE scan_tasks (
    scan_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    lo           INTEGER NOT NULL,
    programme    TEXT    NOT NULL,
    person_id    INTEGER NOT NULL DEFAULT 0,
    household_id INTEGER NOT NULL DEFAULT 0,
    offer        INTEGER NOT NULL,
    PRIMARY KEY (scan_id, kind, lo, programme, person_id, household_id),
    FOREIGN KEY (scan_id, kind, lo) REFERENCES scan_shards (scan_id, kind, lo) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE scan_tasks;
