package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// cycleLookupChunk is how many keys one IN list of the lookups below holds.
const cycleLookupChunk = 500

// CyclesOfFiles implements payroll.ReportStore: the cycle of each message
// ID that is a recorded bank file (payroll_files); others are absent.
func (s *PayrollStore) CyclesOfFiles(ctx context.Context, msgIDs []string) (map[string]int64, error) {
	out, err := s.cyclesOf(ctx, `SELECT message_id, cycle_id FROM payroll_files WHERE message_id IN `, msgIDs)
	if err != nil {
		return nil, fmt.Errorf("cycles of bank files: %w", err)
	}
	return out, nil
}

// CyclesOfReferences implements payroll.ReportStore: the cycle of each
// reference that is a payment's current one (payments.reference is
// unique); others are absent.
func (s *PayrollStore) CyclesOfReferences(ctx context.Context, refs []string) (map[string]int64, error) {
	out, err := s.cyclesOf(ctx, `SELECT reference, cycle_id FROM payments WHERE reference IN `, refs)
	if err != nil {
		return nil, fmt.Errorf("cycles of payment references: %w", err)
	}
	return out, nil
}

// cyclesOf runs query (ending in "IN ") over keys,
// cycleLookupChunk at a time, in one read transaction, and maps each key
// found to its cycle.
func (s *PayrollStore) cyclesOf(ctx context.Context, query string, keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	err := s.db.view(ctx, func(tx *Tx) error {
		for len(keys) > 0 {
			chunk := keys[:min(len(keys), cycleLookupChunk)]
			keys = keys[len(chunk):]
			var a args
			ph := make([]string, len(chunk))
			for i, k := range chunk {
				ph[i] = a.add(k)
			}
			if err := each(ctx, tx, query+"("+strings.Join(ph, ", ")+")", a, func(rows *sql.Rows) error {
				var key string
				var cycle int64
				err := rows.Scan(&key, &cycle)
				out[key] = cycle
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
