package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	dost "github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
)

// RecentServiceTimes returns the service times of the last limit tickets
// of each service finished at the centre on day, oldest first. See
// hall.Store.
func (s *HallStore) RecentServiceTimes(ctx context.Context, centreID int64, day dost.Date, limit int) ([]hall.ServiceTime, error) {
	out := []hall.ServiceTime{}
	if limit <= 0 {
		return out, nil
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT service_code, started_at, finished_at FROM (
				SELECT service_code, started_at, finished_at, id,
					ROW_NUMBER() OVER (PARTITION BY service_code ORDER BY finished_at DESC, id DESC) AS n
				FROM tickets
				WHERE centre_id = $1 AND day = $2 AND status = $3 AND started_at IS NOT NULL AND finished_at IS NOT NULL) r
			WHERE n <= $4 ORDER BY finished_at, id`, []any{centreID, day, dost.TicketFinished, limit},
			func(rows *sql.Rows) error {
				var st hall.ServiceTime
				var started, finished time.Time
				if err := rows.Scan(&st.ServiceCode, scanTime(&started), scanTime(&finished)); err != nil {
					return err
				}
				st.Duration = finished.Sub(started)
				out = append(out, st)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("recent service times: %w", err)
	}
	return out, nil
}
