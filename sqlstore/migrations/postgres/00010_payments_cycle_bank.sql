-- +goose Up
-- A cycle's payments by bank file (bank, programme) in ID order, in place
-- of payments_cycle (cycle_id, status, bank, id): status is no longer a key
-- column, so that marking a million payments sent, then paid, rewrites
-- only their rows rather than also moving each one's index entry (a third
-- of the time of those updates on SQLite), and the bank files and their
-- totals are read in index order without sorting. The correction lists
-- (held, failed, returned, corrected) keep payments_open.
DROP INDEX payments_cycle;
CREATE INDEX payments_cycle_bank ON payments (cycle_id, bank, programme, id);

-- +goose Down
DROP INDEX payments_cycle_bank;
CREATE INDEX payments_cycle ON payments (cycle_id, status, bank, id);
