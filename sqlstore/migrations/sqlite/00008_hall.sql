-- +goose Up
-- The centre hall (issue 5; package hall, sqlstore/hall.go): the queue's
-- tickets and their append-only event log, from which every KPI is
-- computed; operators' sign-ins at counters; per-centre queue settings;
-- the daily number sequences of tickets; operators' certifications;
-- appointments; and the citizens' ratings of their visits.
--
-- Unique constraints are the last line of defence:
--   ticket_sequences, tickets_number: one ticket number per centre, prefix
--     (the queue group the number was drawn in) and day;
--   tickets_counter_in_hand: a counter holds at most one ticket called or
--     being served, so a ticket is called to one operator at a time;
--   queue_events_ticket_seq: each change of a ticket writes the event with
--     the ticket's next version, so two changes made from the same version
--     cannot both commit;
--   counter_sign_ins_*_open: one open sign-in per counter and per operator;
--   appointments_seat: a slot of capacity n has seats 1..n, each booked at
--     most once, so the last free place booked by two people at once goes
--     to exactly one (cancelled bookings free their seat);
--   feedback_ticket: one rating per visit.
-- Slots are computed from opening hours, counters and service minutes, not
-- stored. Call reasons are dost.CallReason as JSON (TEXT here, JSONB in PostgreSQL).
-- Times are UTC text; a ticket's day is Baku's.

CREATE TABLE queue_settings (
    centre_id                INTEGER PRIMARY KEY REFERENCES centres (id) ON DELETE CASCADE,
    priority_groups          TEXT    NOT NULL DEFAULT '',
    head_start_minutes       INTEGER NOT NULL,
    appointment_lead_minutes INTEGER NOT NULL,
    max_recalls              INTEGER NOT NULL,
    recall_interval_seconds  INTEGER NOT NULL,
    service_level_minutes    INTEGER NOT NULL,
    updated_at               TEXT NOT NULL
);

CREATE TABLE ticket_sequences (
    centre_id INTEGER  NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    prefix    TEXT    NOT NULL,
    day       TEXT NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (centre_id, prefix, day)
);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    centre_id           INTEGER  NOT NULL REFERENCES centres (id),
    day                 TEXT NOT NULL,
    prefix              TEXT    NOT NULL,
    sequence            INTEGER NOT NULL,
    number              TEXT    NOT NULL,
    queue_group         TEXT    NOT NULL,
    service_code        TEXT    NOT NULL REFERENCES services (code),
    priority            TEXT    NOT NULL DEFAULT '',
    language            TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    appointment_id      INTEGER  NOT NULL DEFAULT 0,
    appointment_at      TEXT,
    directed_counter_id INTEGER  NOT NULL DEFAULT 0,
    counter_id          INTEGER  NOT NULL DEFAULT 0,
    operator_id         INTEGER  NOT NULL DEFAULT 0,
    issued_at           TEXT NOT NULL,
    called_at           TEXT,
    started_at          TEXT,
    finished_at         TEXT,
    recalls             INTEGER NOT NULL DEFAULT 0,
    recalled_at         TEXT,
    transfers           INTEGER NOT NULL DEFAULT 0,
    services_done       TEXT    NOT NULL DEFAULT '',
    quoted_wait_seconds INTEGER NOT NULL DEFAULT 0,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX tickets_number ON tickets (centre_id, prefix, day, sequence);
CREATE UNIQUE INDEX tickets_counter_in_hand ON tickets (counter_id) WHERE status IN ('called', 'serving');
CREATE INDEX tickets_centre_day_status ON tickets (centre_id, day, status);

CREATE TABLE queue_events (
    id                  INTEGER PRIMARY KEY,
    centre_id           INTEGER  NOT NULL REFERENCES centres (id),
    ticket_id           INTEGER  NOT NULL REFERENCES tickets (id),
    seq                 INTEGER NOT NULL,
    number              TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    at                  TEXT NOT NULL,
    counter_id          INTEGER  NOT NULL DEFAULT 0,
    operator_id         INTEGER  NOT NULL DEFAULT 0,
    service_code        TEXT    NOT NULL,
    from_service_code   TEXT    NOT NULL DEFAULT '',
    priority            TEXT    NOT NULL DEFAULT '',
    reason              TEXT,
    services_done       TEXT    NOT NULL DEFAULT '',
    quoted_wait_seconds INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queue_events_ticket_seq ON queue_events (ticket_id, seq);
CREATE INDEX queue_events_centre_at ON queue_events (centre_id, at);

-- +goose StatementBegin
CREATE TRIGGER queue_events_no_update BEFORE UPDATE ON queue_events
BEGIN
    SELECT RAISE(ABORT, 'queue_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER queue_events_no_delete BEFORE DELETE ON queue_events
BEGIN
    SELECT RAISE(ABORT, 'queue_events is append-only');
END;
-- +goose StatementEnd

CREATE TABLE counter_sign_ins (
    id            INTEGER PRIMARY KEY,
    centre_id     INTEGER NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    counter_id    INTEGER NOT NULL REFERENCES counters (id) ON DELETE CASCADE,
    operator_id   INTEGER NOT NULL REFERENCES users (id),
    signed_in_at  TEXT NOT NULL,
    signed_out_at TEXT
);
CREATE UNIQUE INDEX counter_sign_ins_counter_open ON counter_sign_ins (counter_id) WHERE signed_out_at IS NULL;
CREATE UNIQUE INDEX counter_sign_ins_operator_open ON counter_sign_ins (operator_id) WHERE signed_out_at IS NULL;
CREATE INDEX counter_sign_ins_centre ON counter_sign_ins (centre_id, signed_in_at);

CREATE TABLE certifications (
    id          INTEGER PRIMARY KEY,
    operator_id INTEGER  NOT NULL REFERENCES users (id),
    category    TEXT    NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    course      TEXT    NOT NULL DEFAULT '',
    issued_by   INTEGER  NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX certifications_operator ON certifications (operator_id, category, valid_from);
CREATE INDEX certifications_valid_until ON certifications (valid_until);

CREATE TABLE appointments (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL,
    centre_id     INTEGER  NOT NULL REFERENCES centres (id),
    service_code  TEXT    NOT NULL REFERENCES services (code),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    seat          INTEGER NOT NULL,
    fin           TEXT    NOT NULL DEFAULT '',
    person_id     INTEGER  NOT NULL DEFAULT 0,
    name          TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    ticket_id     INTEGER  NOT NULL DEFAULT 0,
    booked_by     INTEGER  NOT NULL DEFAULT 0,
    booked_at     TEXT NOT NULL,
    checked_in_at TEXT,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX appointments_code ON appointments (code);
CREATE UNIQUE INDEX appointments_seat ON appointments (centre_id, service_code, starts_at, seat) WHERE status <> 'cancelled';
CREATE INDEX appointments_centre_start ON appointments (centre_id, starts_at);
CREATE INDEX appointments_person ON appointments (person_id) WHERE person_id <> 0;
CREATE INDEX appointments_booked ON appointments (starts_at) WHERE status = 'booked';

CREATE TABLE feedback (
    id           INTEGER PRIMARY KEY,
    centre_id    INTEGER  NOT NULL REFERENCES centres (id),
    ticket_id    INTEGER  NOT NULL REFERENCES tickets (id),
    service_code TEXT    NOT NULL,
    operator_id  INTEGER  NOT NULL DEFAULT 0,
    rating       INTEGER NOT NULL,
    comment      TEXT    NOT NULL DEFAULT '',
    channel      TEXT    NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX feedback_ticket ON feedback (ticket_id);
CREATE INDEX feedback_centre_created ON feedback (centre_id, created_at);

-- +goose Down
DROP TABLE feedback;
DROP TABLE appointments;
DROP TABLE certifications;
DROP TABLE counter_sign_ins;
DROP TABLE queue_events;
DROP TABLE tickets;
DROP TABLE ticket_sequences;
DROP TABLE queue_settings;
