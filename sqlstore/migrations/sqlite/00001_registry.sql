-- +goose Up
-- The registry: persons, households, and the records the rules read.
-- Timestamps are TEXT in a fixed-width UTC form (see sqlstore/dialect.go), so
-- they compare correctly as strings; dates are TEXT 'YYYY-MM-DD'; months are
-- TEXT 'YYYY-MM'; money is INTEGER qəpik.

CREATE TABLE persons (
    id            INTEGER PRIMARY KEY,
    fin           TEXT    NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    patronymic    TEXT    NOT NULL DEFAULT '',
    first_name_lc TEXT    NOT NULL,
    last_name_lc  TEXT    NOT NULL,
    patronymic_lc TEXT    NOT NULL DEFAULT '',
    birth_date    TEXT    NOT NULL,
    sex           TEXT    NOT NULL,
    phone         TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    region        TEXT    NOT NULL DEFAULT '',
    district      TEXT    NOT NULL DEFAULT '',
    address       TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    death_date    TEXT,
    iban          TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX persons_fin ON persons (fin);
CREATE INDEX persons_name ON persons (last_name_lc, first_name_lc, fin);
CREATE INDEX persons_first_name ON persons (first_name_lc);
CREATE INDEX persons_patronymic ON persons (patronymic_lc);
CREATE INDEX persons_birth_date ON persons (birth_date);

CREATE TABLE households (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    district   TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX households_code ON households (code);

CREATE TABLE household_members (
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    role         TEXT    NOT NULL,
    PRIMARY KEY (household_id, person_id)
);
CREATE UNIQUE INDEX household_members_person ON household_members (person_id);
CREATE UNIQUE INDEX household_members_one_head ON household_members (household_id) WHERE role = 'head';

CREATE TABLE insurance_periods (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    employer     TEXT    NOT NULL,
    employer_tin TEXT    NOT NULL DEFAULT '',
    starts_on    TEXT    NOT NULL,
    ends_on      TEXT,
    monthly_wage INTEGER NOT NULL
);
CREATE INDEX insurance_periods_person ON insurance_periods (person_id, starts_on);

CREATE TABLE income_records (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    month     TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    amount    INTEGER NOT NULL
);
CREATE UNIQUE INDEX income_records_person_month_source ON income_records (person_id, month, source);

CREATE TABLE disability_assessments (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    degree    TEXT    NOT NULL,
    cause     TEXT    NOT NULL,
    percent   INTEGER NOT NULL DEFAULT 0,
    starts_on TEXT    NOT NULL,
    ends_on   TEXT
);
CREATE INDEX disability_assessments_person ON disability_assessments (person_id, starts_on);

-- The catalogue: scalar columns to filter on, the whole passport as JSON.
CREATE TABLE services (
    code                TEXT    PRIMARY KEY,
    category            TEXT    NOT NULL,
    assignment_mode     TEXT    NOT NULL,
    electronic_delivery TEXT    NOT NULL,
    queue_group         TEXT    NOT NULL,
    active              INTEGER NOT NULL,
    request_channels    TEXT    NOT NULL,
    name_az             TEXT    NOT NULL,
    name_en             TEXT    NOT NULL,
    name_ru             TEXT    NOT NULL,
    search              TEXT    NOT NULL,
    passport            TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
CREATE INDEX services_category ON services (category, code);

CREATE TABLE centres (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    name_az    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    name_ru    TEXT NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    district   TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    timezone   TEXT NOT NULL,
    hours      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX centres_code ON centres (code);

CREATE TABLE counters (
    id          INTEGER PRIMARY KEY,
    centre_id   INTEGER NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    label       TEXT    NOT NULL DEFAULT '',
    queue_groups TEXT   NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX counters_centre_number ON counters (centre_id, number);

CREATE TABLE centre_services (
    centre_id    INTEGER NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    service_code TEXT    NOT NULL REFERENCES services (code),
    PRIMARY KEY (centre_id, service_code)
);
CREATE INDEX centre_services_service ON centre_services (service_code);

-- Accounts: staff and citizens.
CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    username         TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    person_id        INTEGER REFERENCES persons (id),
    password_hash    TEXT    NOT NULL DEFAULT '',
    disabled         INTEGER NOT NULL DEFAULT 0,
    failed_sign_ins  INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_person ON users (person_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE user_centres (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    centre_id INTEGER NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, centre_id)
);
CREATE INDEX user_centres_centre ON user_centres (centre_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE user_centres;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE centre_services;
DROP TABLE counters;
DROP TABLE centres;
DROP TABLE services;
DROP TABLE disability_assessments;
DROP TABLE income_records;
DROP TABLE insurance_periods;
DROP TABLE household_members;
DROP TABLE households;
DROP TABLE persons;
