package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rulesrun"
)

// The statuses of a Scan.
const (
	// ScanPlanning: recorded, its shards not yet planned.
	ScanPlanning = "planning"
	// ScanRunning: its shards are planned and being scanned.
	ScanRunning = "running"
	// ScanFinished: every shard is scanned; Summary is their total.
	ScanFinished = "finished"
	// ScanFailed: a shard or the planning failed for good (Error says
	// why); shards scanned meanwhile still count in ShardsDone.
	ScanFailed = "failed"
)

// Scan is the record of a population scan of the proactive service: the
// scan of one month's entitlements over the whole registry, in shards.
type Scan struct {
	ID     int64
	Period dost.Month
	// JobID is the River job of the scan's coordinator; 0 for a scan run
	// in-process (`dost scan --local`).
	JobID  int64
	Status string
	// ShardsTotal is the number of shards planned; ShardsDone of those
	// scanned.
	ShardsTotal, ShardsDone int
	// Summary is the total of the shards' summaries once finished.
	Summary    proactive.ScanSummary
	Error      string
	StartedAt  time.Time
	FinishedAt *time.Time
}

// ScanStore records population scans and their progress (tables scans and
// scan_shards) for the scan jobs of package jobs and for `dost scan`. It is
// safe for concurrent use, also by the nodes sharing one database: a scan
// is planned once however many coordinators run, and a shard counts once
// however often it is scanned.
type ScanStore struct {
	db *DB
}

// NewScanStore returns a ScanStore over db.
func NewScanStore(db *DB) *ScanStore { return &ScanStore{db: db} }

// CreateScan records a scan of period, status planning, started by the
// coordinator job jobID, and returns its ID; if that job's scan is
// recorded already (the job runs again), it returns that scan's ID. A
// jobID of 0 (an in-process scan) always records a new scan.
func (s *ScanStore) CreateScan(ctx context.Context, period dost.Month, jobID int64) (int64, error) {
	if period.IsZero() {
		return 0, dost.Errorf(dost.EINVALID, "A scan needs a period.")
	}
	var id int64
	err := s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO scans (period, job_id, status, started_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (job_id) WHERE job_id <> 0 DO NOTHING RETURNING id`,
			period, jobID, ScanPlanning, tx.ts(tx.now)).Scan(&id)
		if isNoRows(err) {
			return tx.QueryRowContext(ctx, `SELECT id FROM scans WHERE job_id = $1 AND job_id <> 0`, jobID).Scan(&id)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create scan: %w", err)
	}
	return id, nil
}

// StartScan records the shards of a scan that is planning and sets it
// running (finished at once if there are none), and returns them. If the
// scan was planned already (its coordinator runs again, or two run at
// once), it records nothing and returns the shards recorded then, which
// may differ from shards if the registry grew meanwhile. ENOTFOUND for an
// unknown scan.
func (s *ScanStore) StartScan(ctx context.Context, id int64, shards []rulesrun.Shard) ([]rulesrun.Shard, error) {
	var out []rulesrun.Shard
	err := s.db.update(ctx, func(tx *Tx) error {
		out = nil
		status, summary, finishedAt := ScanRunning, any(nil), any(nil)
		if len(shards) == 0 {
			status, summary, finishedAt = ScanFinished, `{"shards":0,"persons":0,"households":0,"programmes":null}`, tx.ts(tx.now)
		}
		// The status check serialises coordinators: on PostgreSQL a second
		// one waits for the first's row lock, then finds the scan planned.
		res, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1, shards_total = $2, summary = $3, finished_at = $4
			WHERE id = $5 AND status = 'planning'`, status, len(shards), summary, finishedAt, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var status string
			err := tx.QueryRowContext(ctx, `SELECT status FROM scans WHERE id = $1`, id).Scan(&status)
			if isNoRows(err) {
				return dost.Errorf(dost.ENOTFOUND, "Scan %d not found.", id)
			} else if err != nil {
				return err
			}
			return each(ctx, tx, `SELECT kind, lo, hi, persons FROM scan_shards WHERE scan_id = $1 ORDER BY kind, lo`,
				[]any{id}, func(rows *sql.Rows) error {
					var sh rulesrun.Shard
					if err := rows.Scan(&sh.Kind, &sh.Lo, &sh.Hi, &sh.Persons); err != nil {
						return err
					}
					out = append(out, sh)
					return nil
				})
		}
		const chunk = 100 // rows per INSERT
		for len(shards) > 0 {
			n := min(chunk, len(shards))
			var b strings.Builder
			b.WriteString(`INSERT INTO scan_shards (scan_id, kind, lo, hi, persons) VALUES `)
			a := make([]any, 0, 5*n)
			for i, sh := range shards[:n] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(")
				for j, v := range []any{id, string(sh.Kind), sh.Lo, sh.Hi, sh.Persons} {
					if j > 0 {
						b.WriteString(", ")
					}
					a = append(a, v)
					b.WriteString(s.db.placeholder(len(a)))
				}
				b.WriteString(")")
			}
			if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
				return err
			}
			out = append(out, shards[:n]...)
			shards = shards[n:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start scan %d: %w", id, err)
	}
	return out, nil
}

// FinishScanShard records the summary (proactive.ScanSummary as JSON) of
// a scanned shard of a scan and counts the shard done, once: a shard
// recorded already is left as it was (its first summary stands). The
// shard that completes the count of a running scan writes the total of
// every shard's summary and finishes the scan, in the same transaction,
// and FinishScanShard reports true for it only. ENOTFOUND for a shard
// the scan did not plan. The shard's tasks (table scan_tasks, see
// ProactiveStore.RecordScanTasks) are deleted with it, and the scan's
// when it finishes (an attempt still running may record some late): its
// summary no longer needs them.
func (s *ScanStore) FinishScanShard(ctx context.Context, id int64, sh rulesrun.Shard, summary json.RawMessage) (bool, error) {
	js, err := jsonArg("summary", summary)
	if err != nil {
		return false, err
	}
	var finished bool
	err = s.db.update(ctx, func(tx *Tx) error {
		finished = false
		if _, err := tx.ExecContext(ctx, `DELETE FROM scan_tasks WHERE scan_id = $1 AND kind = $2 AND lo = $3`,
			id, string(sh.Kind), sh.Lo); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE scan_shards SET summary = $1, finished_at = $2
			WHERE scan_id = $3 AND kind = $4 AND lo = $5 AND finished_at IS NULL`, js, tx.ts(tx.now), id, string(sh.Kind), sh.Lo)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM scan_shards WHERE scan_id = $1 AND kind = $2 AND lo = $3`,
				id, string(sh.Kind), sh.Lo).Scan(&one)
			if isNoRows(err) {
				return dost.Errorf(dost.ENOTFOUND, "Scan %d has no shard %s.", id, sh)
			}
			return err // recorded already
		}
		// On PostgreSQL, shards finishing at once wait here for each
		// other's row lock: exactly one of them sees the count complete,
		// and by then every other shard's summary is committed.
		var done, total int
		var status string
		if err := tx.QueryRowContext(ctx, `UPDATE scans SET shards_done = shards_done + 1 WHERE id = $1
			RETURNING shards_done, shards_total, status`, id).Scan(&done, &total, &status); err != nil {
			return err
		}
		if done < total || status != ScanRunning {
			return nil
		}
		var sum proactive.ScanSummary
		err = each(ctx, tx, `SELECT summary FROM scan_shards WHERE scan_id = $1 ORDER BY kind, lo`, []any{id},
			func(rows *sql.Rows) error {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					return err
				}
				var one proactive.ScanSummary
				if err := json.Unmarshal(b, &one); err != nil {
					return fmt.Errorf("shard summary: %w", err)
				}
				sum.Add(one)
				return nil
			})
		if err != nil {
			return err
		}
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1, summary = $2, finished_at = $3 WHERE id = $4`,
			ScanFinished, string(b), tx.ts(tx.now), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scan_tasks WHERE scan_id = $1`, id); err != nil {
			return err
		}
		finished = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("finish shard %s of scan %d: %w", sh, id, err)
	}
	return finished, nil
}

// FailScan marks a scan that is planning or running failed, with the
// reason, and deletes its shards' tasks (scan_tasks); a finished or
// failed scan is left as it is. ENOTFOUND for an unknown scan.
func (s *ScanStore) FailScan(ctx context.Context, id int64, reason string) error {
	reason = errorText(reason)
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1, error = $2, finished_at = $3
			WHERE id = $4 AND status IN ('planning', 'running')`, ScanFailed, reason, tx.ts(tx.now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM scan_tasks WHERE scan_id = $1`, id)
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM scans WHERE id = $1`, id).Scan(&one)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Scan %d not found.", id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("fail scan %d: %w", id, err)
	}
	return nil
}

// scanColumns are the columns scanScan reads.
const scanColumns = `id, period, job_id, status, shards_total, shards_done, summary, error, started_at, finished_at FROM scans`

func scanScan(row interface{ Scan(...any) error }) (*Scan, error) {
	var sc Scan
	var summary []byte
	if err := row.Scan(&sc.ID, &sc.Period, &sc.JobID, &sc.Status, &sc.ShardsTotal, &sc.ShardsDone, &summary, &sc.Error,
		scanTime(&sc.StartedAt), scanNullTime(&sc.FinishedAt)); err != nil {
		return nil, err
	}
	if len(summary) > 0 {
		if err := json.Unmarshal(summary, &sc.Summary); err != nil {
			return nil, fmt.Errorf("scan %d: summary: %w", sc.ID, err)
		}
	}
	return &sc, nil
}

// FindScanByID returns a scan. ENOTFOUND if there is none.
func (s *ScanStore) FindScanByID(ctx context.Context, id int64) (*Scan, error) {
	return s.findScan(ctx, `WHERE id = $1`, id)
}

// FindScanByJobID returns the scan of a coordinator job. ENOTFOUND if
// there is none (yet: the job has not run).
func (s *ScanStore) FindScanByJobID(ctx context.Context, jobID int64) (*Scan, error) {
	return s.findScan(ctx, `WHERE job_id = $1 AND job_id <> 0`, jobID)
}

func (s *ScanStore) findScan(ctx context.Context, cond string, arg any) (*Scan, error) {
	var sc *Scan
	err := s.db.view(ctx, func(tx *Tx) error {
		var err error
		sc, err = scanScan(tx.QueryRowContext(ctx, `SELECT `+scanColumns+` `+cond, arg))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Scan not found.")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find scan: %w", err)
	}
	return sc, nil
}
