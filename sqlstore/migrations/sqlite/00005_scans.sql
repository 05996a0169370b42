-- +goose Up
-- Population scans of the proactive service (package jobs; `dost scan`):
-- one row per scan of a month, one per shard of it. A scan is planned
-- (its shards recorded, status running), then each shard's summary is
-- recorded once, however often its job runs; the shard that completes the
-- count writes the scan's total summary and finishes it. job_id is the
-- River job of the scan's coordinator (0 for a scan run in-process by
-- `dost scan --local`), so that a coordinator run twice plans one scan.
-- Summaries are proactive.ScanSummary as JSON (TEXT here, JSONB in
-- PostgreSQL).
--
-- And an index for the daily job that ends the awards whose end date has
-- passed (sqlstore.CaseStore.EndAwardsPastEndDate).

CREATE TABLE scans (
    id           INTEGER PRIMARY KEY,
    period       TEXT    NOT NULL,
    job_id       INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL,
    shards_total INTEGER NOT NULL DEFAULT 0,
    shards_done  INTEGER NOT NULL DEFAULT 0,
    summary      TEXT,
    error        TEXT    NOT NULL DEFAULT '',
    started_at   TEXT    NOT NULL,
    finished_at  TEXT
);
CREATE UNIQUE INDEX scans_job ON scans (job_id) WHERE job_id <> 0;
CREATE INDEX scans_period ON scans (period, id);

CREATE TABLE scan_shards (
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    lo          INTEGER NOT NULL,
    hi          INTEGER NOT NULL,
    persons     INTEGER NOT NULL,
    summary     TEXT,
    finished_at TEXT,
    PRIMARY KEY (scan_id, kind, lo)
);

CREATE INDEX awards_open_ends_on ON awards (ends_on) WHERE status <> 'ended' AND ends_on IS NOT NULL;

-- +goose Down
DROP INDEX awards_open_ends_on;
DROP TABLE scan_shards;
DROP TABLE scans;
