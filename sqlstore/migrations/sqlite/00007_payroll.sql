-- +goose Up
-- Payroll (package payroll, sqlstore/payroll.go): cycles of one programme
-- ('' for all) and month, their preparation shards, payments, their
-- history, the banks dost pays through and the bank reports imported.
--
-- The unique constraints are the last line against paying twice: one
-- cycle per programme and period, one payment per award and period
-- (however many cycles or nodes prepare it), one reference per payment,
-- one import per cycle and file content.
--
-- run counts a cycle's preparations; a shard row belongs to one run, so
-- that a job of an earlier run changes nothing. Money is INTEGER qəpik.

CREATE TABLE banks (
    code TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    bic  TEXT NOT NULL
);
-- The banks of Azerbaijani IBANs (the IBAN's bank code is the BIC's
-- first four letters): every code the synthetic population uses (synth)
-- and a few more. BICs from the public SWIFT directory; RZBA and YLBA
-- are not verified.
INSERT INTO banks (code, name, bic) VALUES
    ('AIIB', 'Kapital Bank', 'AIIBAZ2X'),
    ('IBAZ', 'International Bank of Azerbaijan', 'IBAZAZ2X'),
    ('PAHA', 'PASHA Bank', 'PAHAAZ22'),
    ('UBAZ', 'Unibank', 'UBAZAZ22'),
    ('BRES', 'Bank Respublika', 'BRESAZ22'),
    ('ACAB', 'AccessBank', 'ACABAZ22'),
    ('AZER', 'DemirBank', 'AZERAZ22'),
    ('CAPN', 'Azerbaijan Industry Bank', 'CAPNAZ22'),
    ('RZBA', 'Rabitabank', 'RZBAAZ2X'),
    ('YLBA', 'Yelo Bank', 'YLBAAZ22'),
    ('AZRT', 'Azer Turk Bank', 'AZRTAZ22'),
    ('AZEN', 'Expressbank', 'AZENAZ22'),
    ('HAJC', 'Xalq Bank', 'HAJCAZ22');

CREATE TABLE payroll_cycles (
    id            INTEGER PRIMARY KEY,
    programme     TEXT    NOT NULL DEFAULT '',
    period        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    count         INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    arrears_count INTEGER NOT NULL DEFAULT 0,
    arrears_total INTEGER NOT NULL DEFAULT 0,
    held          INTEGER NOT NULL DEFAULT 0,
    review        INTEGER NOT NULL DEFAULT 0,
    shards_total  INTEGER NOT NULL DEFAULT 0,
    shards_done   INTEGER NOT NULL DEFAULT 0,
    run           INTEGER NOT NULL DEFAULT 1,
    error         TEXT    NOT NULL DEFAULT '',
    prepared_by   INTEGER NOT NULL DEFAULT 0,
    prepared_at   TEXT    NOT NULL,
    approved_by   INTEGER NOT NULL DEFAULT 0,
    approved_at   TEXT   ,
    rejected_by   INTEGER NOT NULL DEFAULT 0,
    rejected_at   TEXT   ,
    reject_reason TEXT    NOT NULL DEFAULT '',
    exported_at   TEXT   ,
    updated_at    TEXT    NOT NULL,
    CONSTRAINT payroll_cycles_programme_period UNIQUE (programme, period)
);
CREATE INDEX payroll_cycles_period ON payroll_cycles (period, id);

CREATE TABLE payroll_shards (
    cycle_id    INTEGER NOT NULL REFERENCES payroll_cycles (id) ON DELETE CASCADE,
    run         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    lo          INTEGER NOT NULL,
    hi          INTEGER NOT NULL,
    persons     INTEGER NOT NULL,
    review      INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT   ,
    PRIMARY KEY (cycle_id, run, kind, lo)
);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    cycle_id    INTEGER NOT NULL REFERENCES payroll_cycles (id),
    award_id    INTEGER NOT NULL REFERENCES awards (id),
    programme   TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    payee_id    INTEGER NOT NULL REFERENCES persons (id),
    amount      INTEGER NOT NULL,
    iban        TEXT    NOT NULL DEFAULT '',
    bank        TEXT    NOT NULL DEFAULT '',
    reference   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    reason_code TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 1,
    paid_on     TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    CONSTRAINT payments_award_period UNIQUE (award_id, period),
    CONSTRAINT payments_reference UNIQUE (reference)
);
CREATE INDEX payments_cycle ON payments (cycle_id, status, bank, id);
CREATE INDEX payments_payee ON payments (payee_id, id);
CREATE INDEX payments_open ON payments (status) WHERE status IN ('held', 'failed', 'returned', 'corrected');

CREATE TABLE payment_events (
    id          INTEGER PRIMARY KEY,
    payment_id  INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    cycle_id    INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    reason_code TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    import_id   INTEGER NOT NULL DEFAULT 0,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    at          TEXT    NOT NULL
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

CREATE TABLE status_imports (
    id         INTEGER PRIMARY KEY,
    cycle_id   INTEGER NOT NULL REFERENCES payroll_cycles (id),
    kind       TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    entries    INTEGER NOT NULL DEFAULT 0,
    paid       INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    returned   INTEGER NOT NULL DEFAULT 0,
    pending    INTEGER NOT NULL DEFAULT 0,
    problems   TEXT,
    actor_id   INTEGER NOT NULL DEFAULT 0,
    at         TEXT    NOT NULL,
    CONSTRAINT status_imports_cycle_sha256 UNIQUE (cycle_id, sha256)
);

-- +goose Down
DROP TABLE status_imports;
DROP TABLE payment_events;
DROP TABLE payments;
DROP TABLE payroll_shards;
DROP TABLE payroll_cycles;
DROP TABLE banks;
