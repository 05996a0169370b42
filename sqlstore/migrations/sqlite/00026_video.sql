-- +goose Up
-- Service by video (issue 9; video.go, package video, sqlstore/video.go):
-- a centre of kind 'video' is a Smart DOST video centre whose counters are
-- video desks. Each video ticket has one call (video_calls, ticket_id
-- unique): its participants (citizen, operator, interpreter), its
-- interpretation requests, the chat kept for the call's record, consent
-- and the summary of the quality samples the browsers send.
--
-- Unique constraints are the last line of defence:
--   video_calls (ticket_id): one call per ticket;
--   video_participants (call_id, role, user_id): one row per participant
--     (the citizen's user_id is 0 however they connect);
--   video_interpretations_open: at most one waiting or accepted
--     interpretation request per call, so two interpreters accepting the
--     same call cannot both win;
--   video_interpreters (user_id, language): one certification per
--     interpreter and language.
-- consent is '' (not asked), 'granted' or 'refused'. Times are UTC text.

ALTER TABLE centres ADD COLUMN kind TEXT NOT NULL DEFAULT 'hall';

CREATE TABLE video_calls (
    id                 INTEGER PRIMARY KEY,
    ticket_id          INTEGER  NOT NULL REFERENCES tickets (id),
    centre_id          INTEGER  NOT NULL,
    person_id          INTEGER  NOT NULL DEFAULT 0,
    channel            TEXT    NOT NULL,
    language           TEXT    NOT NULL,
    consent            TEXT    NOT NULL DEFAULT '',
    consent_at         TEXT,
    created_at         TEXT NOT NULL,
    connected_at       TEXT,
    ended_at           TEXT,
    ended_by           INTEGER  NOT NULL DEFAULT 0,
    quality_samples    INTEGER NOT NULL DEFAULT 0,
    rtt_sum_ms         REAL NOT NULL DEFAULT 0,
    rtt_max_ms         REAL NOT NULL DEFAULT 0,
    loss_sum           REAL NOT NULL DEFAULT 0,
    loss_max           REAL NOT NULL DEFAULT 0,
    kbps_sum           REAL NOT NULL DEFAULT 0,
    audio_only_samples INTEGER NOT NULL DEFAULT 0,
    chat_messages      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX video_calls_ticket ON video_calls (ticket_id);
CREATE INDEX video_calls_centre ON video_calls (centre_id, created_at);

CREATE TABLE video_participants (
    id        INTEGER PRIMARY KEY,
    call_id   INTEGER NOT NULL REFERENCES video_calls (id),
    role      TEXT   NOT NULL,
    user_id   INTEGER NOT NULL DEFAULT 0,
    person_id INTEGER NOT NULL DEFAULT 0,
    name      TEXT   NOT NULL DEFAULT '',
    joined_at TEXT NOT NULL,
    left_at   TEXT
);
CREATE UNIQUE INDEX video_participants_one ON video_participants (call_id, role, user_id);

CREATE TABLE video_interpretations (
    id             INTEGER PRIMARY KEY,
    call_id        INTEGER NOT NULL REFERENCES video_calls (id),
    ticket_id      INTEGER NOT NULL,
    centre_id      INTEGER NOT NULL,
    language       TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    requested_role TEXT   NOT NULL,
    requested_by   INTEGER NOT NULL DEFAULT 0,
    requested_at   TEXT NOT NULL,
    interpreter_id INTEGER NOT NULL DEFAULT 0,
    accepted_at    TEXT,
    closed_at      TEXT
);
CREATE UNIQUE INDEX video_interpretations_open ON video_interpretations (call_id) WHERE status IN ('waiting', 'accepted');
CREATE INDEX video_interpretations_status ON video_interpretations (status, requested_at);

CREATE TABLE video_interpreters (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    language    TEXT   NOT NULL,
    valid_from  TEXT   NOT NULL,
    valid_until TEXT   NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX video_interpreters_one ON video_interpreters (user_id, language);

CREATE TABLE video_chat (
    id             INTEGER PRIMARY KEY,
    call_id        INTEGER NOT NULL REFERENCES video_calls (id),
    participant_id INTEGER NOT NULL,
    text           TEXT   NOT NULL,
    sent_at        TEXT NOT NULL
);
CREATE INDEX video_chat_call ON video_chat (call_id, id);

-- A call's recordings, only ever stored with the citizen's consent granted
-- (checked by the store in the same transaction): the content is in the
-- file store under storage_key (also kept from the orphan-files sweep).
CREATE TABLE video_recordings (
    id          INTEGER PRIMARY KEY,
    call_id     INTEGER NOT NULL REFERENCES video_calls (id),
    storage_key TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    recorded_by INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX video_recordings_call ON video_recordings (call_id);
CREATE UNIQUE INDEX video_recordings_key ON video_recordings (storage_key);

-- +goose Down
DROP TABLE video_recordings;
DROP TABLE video_chat;
DROP TABLE video_interpreters;
DROP TABLE video_interpretations;
DROP TABLE video_participants;
DROP TABLE video_calls;
ALTER TABLE centres DROP COLUMN kind;
