-- +goose Up
-- Bank files of payroll cycles (payroll/export.go, sqlstore/payroll_export.go).
--
-- payroll_files and payroll_blocks record each bank's pain.001 file of a
-- cycle and its payment information blocks when the cycle's first file is
-- exported: message ID, creation time, totals, and which programme each
-- PmtInfId names. Exporting again writes the same file from this record
-- (checked against sha256); a bank's status report for a block is
-- attributed through it, however the cycle's payments changed since.
-- exported_at is set when the file is first written, and the bank's
-- payments are then marked sent in bulk: the file is their "sent" event
-- (payment history derives it), so no event row is written per payment.
--
-- payment_events gains the account, reference and file of a step: a
-- failed payment's "sent" step is written out when it is corrected, with
-- the account the money went to, before the payment takes a new one.
--
-- beyond_back_pay counts the months owed that lie before the programmes'
-- back-pay window (not paid; for review), beyond_back_pay_awards the
-- awards they belong to: each shard's, summed on the cycle when prepared.
CREATE TABLE payroll_files (
    id          INTEGER PRIMARY KEY,
    cycle_id    INTEGER NOT NULL REFERENCES payroll_cycles (id),
    bank        TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    sha256      TEXT    NOT NULL DEFAULT '',
    actor_id    INTEGER NOT NULL DEFAULT 0,
    exported_at TEXT   ,
    CONSTRAINT payroll_files_cycle_bank UNIQUE (cycle_id, bank),
    CONSTRAINT payroll_files_message_id UNIQUE (message_id)
);

CREATE TABLE payroll_blocks (
    file_id    INTEGER NOT NULL REFERENCES payroll_files (id),
    seq        INTEGER NOT NULL,
    pmt_inf_id TEXT    NOT NULL,
    programme  TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    PRIMARY KEY (file_id, seq),
    CONSTRAINT payroll_blocks_pmt_inf_id UNIQUE (file_id, pmt_inf_id)
);

ALTER TABLE payment_events ADD COLUMN iban TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_events ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_events ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
CREATE INDEX payment_events_message ON payment_events (message_id, payment_id) WHERE message_id <> '';

ALTER TABLE payroll_cycles ADD COLUMN beyond_back_pay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payroll_cycles ADD COLUMN beyond_back_pay_awards INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payroll_shards ADD COLUMN beyond_back_pay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payroll_shards ADD COLUMN beyond_back_pay_awards INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE payroll_shards DROP COLUMN beyond_back_pay_awards;
ALTER TABLE payroll_shards DROP COLUMN beyond_back_pay;
ALTER TABLE payroll_cycles DROP COLUMN beyond_back_pay_awards;
ALTER TABLE payroll_cycles DROP COLUMN beyond_back_pay;
DROP INDEX payment_events_message;
ALTER TABLE payment_events DROP COLUMN message_id;
ALTER TABLE payment_events DROP COLUMN reference;
ALTER TABLE payment_events DROP COLUMN iban;
DROP TABLE payroll_blocks;
DROP TABLE payroll_files;
