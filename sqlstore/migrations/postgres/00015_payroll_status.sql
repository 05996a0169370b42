-- +goose Up
-- Bank reports' imports (payroll/status.go, sqlstore/payroll_status.go).
--
-- status_imports.repeated counts the entries that changed nothing because
-- they repeat (a payment listed again in the report, or a status it has
-- already from an earlier report), so that paid, failed, returned and
-- pending count each payment once; its problems column then holds the
-- notes on them.
--
-- payments.import_id names the import that moved the payment last (0:
-- none). An import writes no event row per payment: the import and the
-- payment's row are its paid, failed or returned step in the payment's
-- history, written out as an event when a later step (a return, a
-- correction) replaces it.
ALTER TABLE status_imports ADD COLUMN repeated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN import_id BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE payments DROP COLUMN import_id;
ALTER TABLE status_imports DROP COLUMN repeated;
