package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// referencedChunk is how many storage keys one query of
// ReferencedStorageKeys looks up.
const referencedChunk = 500

// ReferencedStorageKeys returns which of keys a document of any
// application refers to (application_documents.storage_key), for the sweep
// of orphan files (jobs.DocumentStore). Keys may come in any number and
// repeat; "" (a document presented at a window has no file) and text no
// key can be are never referenced. It reads only, in one transaction.
func (s *CaseStore) ReferencedStorageKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	var lookup []string
	for _, k := range keys {
		if k != "" && storable(k) {
			lookup = append(lookup, k)
		}
	}
	found := map[string]bool{}
	if len(lookup) == 0 {
		return found, nil
	}
	// Every query binds referencedChunk keys, the last chunk padded with a
	// repeat of its first, so that there is one query text to prepare.
	var b strings.Builder
	b.WriteString(`SELECT DISTINCT storage_key FROM (SELECT storage_key FROM application_documents UNION ALL SELECT storage_key FROM video_recordings) k WHERE storage_key IN (`) // video recordings too (00026)
	for i := range referencedChunk {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.db.placeholder(i + 1))
	}
	b.WriteString(")")
	query := b.String()
	err := s.db.view(ctx, func(tx *Tx) error {
		a := make([]any, referencedChunk)
		for start := 0; start < len(lookup); start += referencedChunk {
			chunk := lookup[start:min(start+referencedChunk, len(lookup))]
			for i := range a {
				a[i] = chunk[0]
				if i < len(chunk) {
					a[i] = chunk[i]
				}
			}
			err := each(ctx, tx, query, a, func(rows *sql.Rows) error {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				found[k] = true
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find referenced files: %w", err)
	}
	return found, nil
}
