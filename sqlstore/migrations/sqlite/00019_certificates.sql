-- +goose Up
-- Certificates ("arayış") a citizen downloads from the portal or an operator
-- issues at the window (issue 7; certificate.go, sqlstore/certificate.go).
--
-- A certificate is never changed: facts is the JSON snapshot of what it
-- states (dost.CertificateFacts), pdf the exact bytes handed out and
-- sha256 their hex digest, so a re-download gives the same file and the
-- public verification page shows what the certificate said even after the
-- registry or the awards change. code is the public code (80 random bits,
-- Crockford base32, as decision letters'), unique.

CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES persons (id),
    language    TEXT    NOT NULL,
    issued_by   INTEGER NOT NULL DEFAULT 0,
    issued_at   TEXT    NOT NULL,
    valid_until TEXT    NOT NULL,
    facts       TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    pdf         BLOB    NOT NULL
);
CREATE UNIQUE INDEX certificates_code ON certificates (code);
CREATE INDEX certificates_person ON certificates (person_id, id);

-- +goose Down
DROP TABLE certificates;
