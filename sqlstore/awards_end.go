package sqlstore

import (
	"context"
	"fmt"

	"github.com/dost-az/dost"
)

// AwardEndDate is the status reason of an award ended by
// EndAwardsPastEndDate: its end date passed.
const AwardEndDate = "end_date"

// EndAwardsPastEndDate ends every open (active or suspended) award whose
// end date is before today, with the status reason AwardEndDate, and
// returns how many it ended. The end date stays the last day paid. A
// daily job runs it (package jobs, awards_end); running it again ends
// nothing more.
func (s *CaseStore) EndAwardsPastEndDate(ctx context.Context, today dost.Date) (int, error) {
	if today.IsZero() {
		return 0, dost.Errorf(dost.EINVALID, "Ending awards needs today's date.")
	}
	var n int64
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'ended', status_reason = $1, updated_at = $2
			WHERE status <> 'ended' AND ends_on IS NOT NULL AND ends_on < $3`, AwardEndDate, tx.ts(tx.now), today)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("end awards past their end date: %w", err)
	}
	return int(n), nil
}
