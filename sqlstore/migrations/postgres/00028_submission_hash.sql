-- +goose Up
-- applications.submission_hash is the hash of what a submission asked for
-- (casework: the person's FIN, the service, the centre, the channel, the
-- period, the note and each document's code, name and content hash), so
-- that an Idempotency-Key reused for a different submission is refused
-- (409) instead of answering with the first application. '' for
-- applications stored before it was kept: their keys answer any
-- submission as before.
--
-- decisions.appeal_of is the decision an appeal contested, on the decision
-- that settles the appeal (upheld: the contested one stands; overturned:
-- it is replaced); 0 on first decisions. An upheld appeal is a decision
-- of its own, with its letter and verification code.

ALTER TABLE applications ADD COLUMN submission_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN appeal_of BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE decisions DROP COLUMN appeal_of;
ALTER TABLE applications DROP COLUMN submission_hash;
