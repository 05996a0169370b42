-- +goose Up
-- Dismissals: the end of a person's employment as the employment contracts
-- system reports it (life event employment_ended), kept for the rules of
-- the unemployment benefit (dismissal_reason). One per person and day.

CREATE TABLE dismissals (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    date         TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    employer_tin TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX dismissals_person_date ON dismissals (person_id, date);

-- +goose Down
DROP TABLE dismissals;
