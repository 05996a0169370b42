-- +goose Up
-- Casework: applications with their history and documents, decisions and
-- the awards they make, the notifications outbox, the holiday calendar, and
-- (for the proactive services) life events and offers.
--
-- Optional references to a person, household, centre or user are INTEGER
-- NOT NULL DEFAULT 0, 0 meaning none, so that they can take part in unique
-- indexes (NULLs are distinct) and read back as Go's zero. Dates are the
-- civil dates of Baku (UTC+4). JSON is TEXT here, JSONB in PostgreSQL.

CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL,
    person_id       INTEGER NOT NULL REFERENCES persons (id),
    household_id    INTEGER NOT NULL DEFAULT 0,
    service_code    TEXT    NOT NULL REFERENCES services (code),
    centre_id       INTEGER NOT NULL DEFAULT 0,
    channel         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    submitted_on    TEXT    NOT NULL,
    deadline        TEXT    NOT NULL,
    decided_on      TEXT,
    late_since      TEXT,
    assignee_id     INTEGER NOT NULL DEFAULT 0,
    submitted_by    INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    decision_id     INTEGER NOT NULL DEFAULT 0,
    submitted_at    TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE UNIQUE INDEX applications_number ON applications (number);
CREATE UNIQUE INDEX applications_idempotency ON applications (submitted_by, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX applications_queue ON applications (status, centre_id, deadline);
CREATE INDEX applications_person ON applications (person_id, id);
CREATE INDEX applications_household ON applications (household_id) WHERE household_id <> 0;
CREATE INDEX applications_assignee ON applications (assignee_id, status) WHERE assignee_id <> 0;
CREATE INDEX applications_submitted_on ON applications (submitted_on, service_code);

CREATE TABLE application_transitions (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    action         TEXT    NOT NULL,
    from_status    TEXT    NOT NULL DEFAULT '',
    to_status      TEXT    NOT NULL,
    actor_id       INTEGER NOT NULL DEFAULT 0,
    actor_name     TEXT    NOT NULL DEFAULT '',
    reason_code    TEXT    NOT NULL DEFAULT '',
    reason         TEXT    NOT NULL DEFAULT '',
    at             TEXT    NOT NULL
);
CREATE INDEX application_transitions_application ON application_transitions (application_id, id);

CREATE TABLE application_documents (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    code           TEXT    NOT NULL,
    presented      INTEGER NOT NULL DEFAULT 0,
    file_name      TEXT    NOT NULL DEFAULT '',
    content_type   TEXT    NOT NULL DEFAULT '',
    size           INTEGER NOT NULL DEFAULT 0,
    sha256         TEXT    NOT NULL DEFAULT '',
    storage_key    TEXT    NOT NULL DEFAULT '',
    uploaded_by    INTEGER NOT NULL DEFAULT 0,
    uploaded_at    TEXT    NOT NULL
);
CREATE INDEX application_documents_application ON application_documents (application_id, id);

-- A decision keeps what it was computed from: the rule set's version, the
-- amounts (decision_amounts, in order) and the whole trace.
CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications (id),
    outcome          TEXT    NOT NULL,
    reason_code      TEXT    NOT NULL DEFAULT '',
    reason           TEXT    NOT NULL DEFAULT '',
    rule_set_version TEXT    NOT NULL DEFAULT '',
    period           TEXT    NOT NULL,
    trace            TEXT,
    decided_by       INTEGER NOT NULL DEFAULT 0,
    decided_at       TEXT    NOT NULL,
    notify_by        TEXT,
    letter_code      TEXT    NOT NULL,
    language         TEXT    NOT NULL
);
CREATE UNIQUE INDEX decisions_letter_code ON decisions (letter_code);
CREATE INDEX decisions_application ON decisions (application_id, id);

CREATE TABLE decision_amounts (
    decision_id  INTEGER NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    programme    TEXT    NOT NULL,
    variable     TEXT    NOT NULL,
    person_id    INTEGER NOT NULL DEFAULT 0,
    household_id INTEGER NOT NULL DEFAULT 0,
    eligible     INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    PRIMARY KEY (decision_id, seq)
);

-- An award is for a person (household_id 0) or a household (person_id 0).
-- The unique indexes are the last line against a double award: one per
-- beneficiary, programme and period, and one open monthly award per
-- beneficiary and programme.
CREATE TABLE awards (
    id             INTEGER PRIMARY KEY,
    programme      TEXT    NOT NULL,
    service_code   TEXT    NOT NULL,
    person_id      INTEGER NOT NULL DEFAULT 0,
    household_id   INTEGER NOT NULL DEFAULT 0,
    payee_id       INTEGER NOT NULL REFERENCES persons (id),
    kind           TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    period         TEXT    NOT NULL,
    starts_on      TEXT    NOT NULL,
    ends_on        TEXT,
    status         TEXT    NOT NULL,
    status_reason  TEXT    NOT NULL DEFAULT '',
    decision_id    INTEGER NOT NULL REFERENCES decisions (id),
    application_id INTEGER NOT NULL REFERENCES applications (id),
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE UNIQUE INDEX awards_beneficiary_period ON awards (programme, person_id, household_id, period);
CREATE UNIQUE INDEX awards_open_monthly ON awards (programme, person_id, household_id) WHERE kind = 'monthly' AND status <> 'ended';
CREATE INDEX awards_person ON awards (person_id) WHERE person_id <> 0;
CREATE INDEX awards_household ON awards (household_id) WHERE household_id <> 0;
CREATE INDEX awards_payee ON awards (payee_id);
CREATE INDEX awards_application ON awards (application_id);

-- The outbox: written in the transaction of what it announces, sent later.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL,
    person_id       INTEGER NOT NULL DEFAULT 0,
    user_id         INTEGER NOT NULL DEFAULT 0,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    sent_at         TEXT,
    created_at      TEXT    NOT NULL
);
CREATE UNIQUE INDEX notifications_message_id ON notifications (message_id);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_person ON notifications (person_id, id);

-- Non-working days besides weekends. The fixed national holidays of
-- 2024-2030 are seeded below; the moving ones (Ramadan and Gurban Bayram)
-- and the days off moved from a holiday on a weekend are set by an
-- administrator.
CREATE TABLE holidays (
    date    TEXT PRIMARY KEY,
    name_az TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL
);

WITH RECURSIVE years (y) AS (SELECT 2024 UNION ALL SELECT y + 1 FROM years WHERE y < 2030),
days (md, az, en, ru) AS (VALUES
    ('01-01', 'Yeni il', 'New Year', 'Новый год'),
    ('01-02', 'Yeni il', 'New Year', 'Новый год'),
    ('03-08', 'Qadınlar günü', 'International Women''s Day', 'Международный женский день'),
    ('03-20', 'Novruz bayramı', 'Novruz', 'Праздник Новруз'),
    ('03-21', 'Novruz bayramı', 'Novruz', 'Праздник Новруз'),
    ('03-22', 'Novruz bayramı', 'Novruz', 'Праздник Новруз'),
    ('03-23', 'Novruz bayramı', 'Novruz', 'Праздник Новруз'),
    ('03-24', 'Novruz bayramı', 'Novruz', 'Праздник Новруз'),
    ('05-09', 'Faşizm üzərində qələbə günü', 'Victory over Fascism Day', 'День победы над фашизмом'),
    ('05-28', 'Müstəqillik günü', 'Independence Day', 'День независимости'),
    ('06-15', 'Azərbaycan xalqının milli qurtuluş günü', 'National Salvation Day', 'День национального спасения азербайджанского народа'),
    ('06-26', 'Silahlı Qüvvələr günü', 'Armed Forces Day', 'День Вооружённых сил'),
    ('11-08', 'Zəfər günü', 'Victory Day', 'День Победы'),
    ('11-09', 'Dövlət bayrağı günü', 'National Flag Day', 'День государственного флага'),
    ('12-31', 'Dünya azərbaycanlılarının həmrəyliyi günü', 'Day of Solidarity of World Azerbaijanis', 'День солидарности азербайджанцев мира'))
INSERT INTO holidays (date, name_az, name_en, name_ru)
SELECT y || '-' || md, az, en, ru FROM years, days;

-- Proactive services: life events reported by other registries (processed
-- once per sender's ID) and offers of benefits to confirm in one step.
CREATE TABLE life_events (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    fin          TEXT NOT NULL DEFAULT '',
    date         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    outcome      TEXT,
    error        TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX life_events_status ON life_events (status, received_at);
CREATE INDEX life_events_fin ON life_events (fin, date);

CREATE TABLE offers (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons (id),
    household_id   INTEGER NOT NULL DEFAULT 0,
    programme      TEXT    NOT NULL,
    service_code   TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    application_id INTEGER NOT NULL DEFAULT 0,
    expires_on     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE UNIQUE INDEX offers_person_programme_period ON offers (person_id, programme, period);
CREATE INDEX offers_status ON offers (status, expires_on);

-- +goose Down
DROP TABLE offers;
DROP TABLE life_events;
DROP TABLE holidays;
DROP TABLE notifications;
DROP TABLE awards;
DROP TABLE decision_amounts;
DROP TABLE decisions;
DROP TABLE application_documents;
DROP TABLE application_transitions;
DROP TABLE applications;
