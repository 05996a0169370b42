-- +goose Up
-- Population runs of the rules engine (`dost rules run`): one row per run,
-- one per finished shard, and the non-zero results. A result row is one
-- variable's value for one person or household in the run's period: money
-- in qəpik, bool as 1, int as is. Zero, false and persons or households
-- absent from the table mean "not eligible / nothing due". Household
-- variables have person_id 0; a person in no household (computed as a
-- household of one) has household_id 0.

CREATE TABLE rule_runs (
    id          INTEGER PRIMARY KEY,
    period      TEXT    NOT NULL,
    rule_set    TEXT    NOT NULL,
    variables   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    shards      INTEGER NOT NULL DEFAULT 0,
    persons     INTEGER NOT NULL DEFAULT 0,
    households  INTEGER NOT NULL DEFAULT 0,
    summary     TEXT    NOT NULL DEFAULT '',
    started_at  TEXT    NOT NULL,
    finished_at TEXT
);
CREATE INDEX rule_runs_period ON rule_runs (period, id);

CREATE TABLE rule_run_shards (
    run_id      INTEGER NOT NULL REFERENCES rule_runs (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    lo          INTEGER NOT NULL,
    hi          INTEGER NOT NULL,
    persons     INTEGER NOT NULL,
    households  INTEGER NOT NULL,
    summary     TEXT    NOT NULL,
    finished_at TEXT    NOT NULL,
    PRIMARY KEY (run_id, kind, lo)
);

CREATE TABLE rule_results (
    run_id       INTEGER NOT NULL REFERENCES rule_runs (id) ON DELETE CASCADE,
    variable     TEXT    NOT NULL,
    household_id INTEGER NOT NULL,
    person_id    INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    PRIMARY KEY (run_id, variable, household_id, person_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE rule_results;
DROP TABLE rule_run_shards;
DROP TABLE rule_runs;
