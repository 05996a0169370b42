package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// MinSecretSize is the least number of bytes Secret makes a secret of.
const MinSecretSize = 16

// Secret returns the secret called name that every node sharing the
// database uses (table node_secrets, migration 00027), making it on first
// use: size random bytes, inserted unless another node inserted one first,
// in which case that one is returned. However many nodes (or goroutines)
// ask at once, on a fresh database or not, they all get the same bytes,
// and so does every later call, after any restart, until the row is
// deleted by hand.
//
// EINVALID for an empty name or a size under MinSecretSize. A stored
// secret of another size than size is an error (the caller asks for a
// size its secret never had), not replaced.
func (db *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if size < MinSecretSize {
		return nil, dost.Errorf(dost.EINVALID, "A secret must have at least %d bytes.", MinSecretSize)
	}
	value := make([]byte, size)
	rand.Read(value) // never fails (crypto/rand)
	got, err := db.AdoptSecret(ctx, name, value)
	if err != nil {
		return nil, err
	}
	if len(got) != size {
		return nil, fmt.Errorf("secret %q: the database holds %d bytes, want %d", name, len(got), size)
	}
	return got, nil
}

// AdoptSecret stores value as the secret called name unless one is stored
// already, and returns the stored one: value if it was adopted, else the
// secret as it was. It is how a secret kept elsewhere before (a key file
// of an older dost) becomes the nodes' shared one without changing. Safe
// for concurrent use across nodes, like Secret. EINVALID for an empty name
// or value.
func (db *DB) AdoptSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if strings.TrimSpace(name) == "" || !storable(name) {
		return nil, dost.Errorf(dost.EINVALID, "A secret needs a name.")
	}
	if len(value) == 0 {
		return nil, dost.Errorf(dost.EINVALID, "A secret cannot be empty.")
	}
	var got []byte
	err := db.update(ctx, func(tx *Tx) error {
		// On PostgreSQL an insert that meets another transaction's
		// uncommitted row of the same name waits for it; once that one
		// commits, this one does nothing, and the SELECT (a new snapshot
		// under READ COMMITTED) reads the winner's value.
		if _, err := tx.ExecContext(ctx, `INSERT INTO node_secrets (name, value, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, value, tx.ts(tx.now)); err != nil {
			return fmt.Errorf("secret %q: %w", name, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM node_secrets WHERE name = $1`, name).Scan(&got); err != nil {
			return fmt.Errorf("secret %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}
