-- +goose Up
-- Training of operators (issue 5; package training, sqlstore/training.go):
-- courses per service category, operators' completions of them, and the
-- renewal reminders sent. A passed completion issues or extends a row of
-- certifications (00008_hall), which it names.
--
-- Unique constraints are the last line of defence:
--   courses_code: one course per code;
--   certification_reminders' key: one reminder per certification, last
--     day (a renewal moves it, and the reminders start again) and
--     threshold, however many nodes run the daily job at once.
-- Times are UTC text.

CREATE TABLE courses (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    title_az        TEXT    NOT NULL,
    title_en        TEXT    NOT NULL,
    title_ru        TEXT    NOT NULL,
    hours           INTEGER NOT NULL,
    validity_months INTEGER NOT NULL,
    active          INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX courses_code ON courses (code);

CREATE TABLE course_completions (
    id               INTEGER PRIMARY KEY,
    operator_id      INTEGER  NOT NULL REFERENCES users (id),
    course_id        INTEGER  NOT NULL REFERENCES courses (id),
    completed_on     TEXT NOT NULL,
    passed           INTEGER NOT NULL,
    score            INTEGER,
    recorded_by      INTEGER  NOT NULL DEFAULT 0,
    certification_id INTEGER  NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL
);
CREATE INDEX course_completions_operator ON course_completions (operator_id, completed_on);
CREATE INDEX course_completions_course ON course_completions (course_id);

CREATE TABLE certification_reminders (
    certification_id INTEGER  NOT NULL REFERENCES certifications (id),
    valid_until      TEXT NOT NULL,
    threshold_days   INTEGER NOT NULL,
    sent_at          TEXT NOT NULL,
    PRIMARY KEY (certification_id, valid_until, threshold_days)
);

-- +goose Down
DROP TABLE certification_reminders;
DROP TABLE course_completions;
DROP TABLE courses;
