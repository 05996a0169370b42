-- +goose Up
-- A certification an administrator revoked (hall.Service.RevokeCertification)
-- ends the day before revoked_on. Ending early is not expiring: the daily
-- renewal reminders (sqlstore/training.go RemindRenewals) skip it, so an
-- operator is never asked to renew what was taken away.
ALTER TABLE certifications ADD COLUMN revoked_on DATE;

-- +goose Down
ALTER TABLE certifications DROP COLUMN revoked_on;
