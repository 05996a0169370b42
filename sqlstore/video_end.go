package sqlstore

import (
	"context"
	"fmt"
)

// CallsOfClosedTickets returns the ticket ids of up to limit calls that
// have not ended although their ticket has left the hall (finished,
// cancelled, no-show: finished at the console, closed at the day's end),
// oldest call first: the calls the video_calls sweep ends.
func (s *VideoStore) CallsOfClosedTickets(ctx context.Context, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 100
	}
	var ids []int64
	err := s.db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.ticket_id FROM video_calls c JOIN tickets t ON t.id = c.ticket_id
			WHERE c.ended_at IS NULL AND t.status IN ('finished', 'no_show', 'cancelled')
			ORDER BY c.id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("calls of closed tickets: %w", err)
	}
	return ids, nil
}
