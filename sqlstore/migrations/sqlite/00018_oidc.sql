-- +goose Up
-- Sign-in through OpenID Connect (issue 7; signin.go, sqlstore/identity.go,
-- http/oidc.go).
--
-- user_identities links an account at an OpenID provider (issuer and
-- subject, the ID token's "iss" and "sub") to a dost user: staff sign in
-- through the national digital login once an administrator has linked
-- them (dost user link-oidc). An identity names one user; a user may have
-- several (several providers).

CREATE TABLE user_identities (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX user_identities_issuer_subject ON user_identities (issuer, subject);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- +goose Down
DROP TABLE user_identities;
