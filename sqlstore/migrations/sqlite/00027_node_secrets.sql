-- +goose Up
-- Secrets the nodes sharing this database must agree on (sqlstore/secret.go,
-- DB.Secret), such as the key that signs the visitors' ticket and rating
-- links (cmd/dost/hall.go): made at random by the first node that needs
-- one, read by every other node and after every restart, so that a link
-- made by one node works on all of them and survives restarts. A secret is
-- never changed or removed by dost; deleting its row makes a new one on the
-- next start (and ends every link signed with the old one).
--
-- name is the secret's name ('feedback', …), value its bytes. The primary
-- key is what makes concurrent first starts agree: each inserts its own
-- random value with ON CONFLICT DO NOTHING and all read back the one that
-- won. Times are UTC text.

CREATE TABLE node_secrets (
    name       TEXT NOT NULL PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE node_secrets;
