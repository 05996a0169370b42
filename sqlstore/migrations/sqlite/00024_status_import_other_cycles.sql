-- +goose Up
-- A bank's camt.054 notification covers an account's day, so it may name
-- payments of several payroll cycles. Read into one cycle, the entries of
-- another dost cycle (by their file's message ID or their reference) change
-- nothing there and are counted here, each with a note naming its cycle
-- (payroll/status.go); the officer reads the same file into that cycle too.
-- Entries = paid + failed + returned + pending + repeated + other_cycles.
ALTER TABLE status_imports ADD COLUMN other_cycles INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE status_imports DROP COLUMN other_cycles;
