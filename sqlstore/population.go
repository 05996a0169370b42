package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// PopulationStore is the storage of population runs (rulesrun.Store): it
// streams the registry shard by shard and stores runs and their results
// (tables rule_runs, rule_run_shards and rule_results). It is safe for
// concurrent use; on SQLite, shards are read on reader connections in
// parallel and written one at a time.
type PopulationStore struct {
	db *DB
}

var _ rulesrun.Store = (*PopulationStore)(nil)

// NewPopulationStore returns a PopulationStore over db.
func NewPopulationStore(db *DB) *PopulationStore { return &PopulationStore{db: db} }

// PlanShards splits households into ID ranges of about size persons (by
// the average household size and ID density) and, when some persons are
// in no household, person IDs into ranges of about size such persons,
// each range scanning at most 4×size person IDs.
func (s *PopulationStore) PlanShards(ctx context.Context, size int) ([]rulesrun.Shard, error) {
	if size <= 0 {
		return nil, dost.Errorf(dost.EINVALID, "Shard size must be positive.")
	}
	var shards []rulesrun.Shard
	err := s.db.view(ctx, func(tx *Tx) error {
		var hMin, hMax sql.NullInt64
		var members, persons int64
		if err := tx.QueryRowContext(ctx, `SELECT min(id), max(id) FROM households`).Scan(&hMin, &hMax); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM household_members`).Scan(&members); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM persons`).Scan(&persons); err != nil {
			return err
		}
		if members > 0 {
			shards = append(shards, split(rulesrun.ShardHouseholds, hMin.Int64, hMax.Int64, members, int64(size), 1)...)
		}
		if loners := persons - members; loners > 0 {
			var pMin, pMax int64
			if err := tx.QueryRowContext(ctx, `SELECT min(id), max(id) FROM persons`).Scan(&pMin, &pMax); err != nil {
				return err
			}
			// Ranges of size loners, but scanning at most 4×size persons.
			spread := min(float64(persons)/float64(loners), 4)
			shards = append(shards, split(rulesrun.ShardLoners, pMin, pMax, loners, int64(size), spread)...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("plan shards: %w", err)
	}
	return shards, nil
}

// split cuts the IDs lo…hi holding n rows into ranges of about size rows,
// or size×spread when rows are sparse, with the estimated rows of each.
func split(kind rulesrun.ShardKind, lo, hi, n, size int64, spread float64) []rulesrun.Shard {
	span := hi - lo + 1
	width := max(1, int64(float64(size)*spread*float64(span)/float64(n)))
	var out []rulesrun.Shard
	for a := lo; a <= hi; a += width {
		b := min(a+width, hi+1)
		out = append(out, rulesrun.Shard{Kind: kind, Lo: a, Hi: b, Persons: max(1, n*(b-a)/span)})
	}
	return out
}

// shardSource returns the FROM … WHERE part that selects a shard's persons
// as m, with the person ID column, and the arguments $1, $2.
func shardSource(sh rulesrun.Shard) (from, id string, err error) {
	switch sh.Kind {
	case rulesrun.ShardHouseholds:
		return `household_members m`, `m.person_id`, nil
	case rulesrun.ShardLoners:
		return `persons m`, `m.id`, nil
	}
	return "", "", dost.Errorf(dost.EINVALID, "Unknown shard kind %q.", sh.Kind)
}

// shardWhere is the condition on m of shardSource.
func shardWhere(sh rulesrun.Shard) string {
	if sh.Kind == rulesrun.ShardHouseholds {
		return `m.household_id >= $1 AND m.household_id < $2`
	}
	return `m.id >= $1 AND m.id < $2 AND NOT EXISTS (SELECT 1 FROM household_members h WHERE h.person_id = m.id)`
}

// ReadShard reads a shard's persons alive on w.Start in household order
// and their records in w, with four range queries in one read
// transaction (a consistent snapshot).
func (s *PopulationStore) ReadShard(ctx context.Context, sh rulesrun.Shard, w rulesrun.Window) (*rulesrun.ShardData, error) {
	from, id, err := shardSource(sh)
	if err != nil {
		return nil, err
	}
	cond := shardWhere(sh)
	d := &rulesrun.ShardData{}
	start, end := dost.DateOf(w.Start.Time()), dost.DateOf(w.End.Time())
	err = s.db.view(ctx, func(tx *Tx) error {
		var q string
		if sh.Kind == rulesrun.ShardHouseholds {
			q = `SELECT m.household_id, m.person_id, m.role, p.birth_date, p.death_date, p.sex
				FROM household_members m JOIN persons p ON p.id = m.person_id
				WHERE ` + cond + ` AND (p.death_date IS NULL OR p.death_date >= $3)
				ORDER BY m.household_id, m.person_id`
		} else {
			q = `SELECT 0, m.id, 'head', m.birth_date, m.death_date, m.sex FROM persons m
				WHERE ` + cond + ` AND (m.death_date IS NULL OR m.death_date >= $3)
				ORDER BY m.id`
		}
		err := each(ctx, tx, q, []any{sh.Lo, sh.Hi, start}, func(rows *sql.Rows) error {
			var m rulesrun.Member
			var role, sex string
			if err := rows.Scan(&m.HouseholdID, &m.PersonID, &role, dayScanner{&m.BirthDate, 0}, dayScanner{&m.DeathDate, 0}, &sex); err != nil {
				return err
			}
			m.Role, m.Sex = dost.HouseholdRole(role), dost.Sex(sex)
			d.Members = append(d.Members, m)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read members: %w", err)
		}
		d.Insurance = make([]rulesrun.Insurance, 0, len(d.Members)/2)
		err = each(ctx, tx, `SELECT r.person_id, r.starts_on, r.ends_on, r.monthly_wage
			FROM `+from+` JOIN insurance_periods r ON r.person_id = `+id+`
			WHERE `+cond+` AND r.starts_on <= $3`, []any{sh.Lo, sh.Hi, end}, func(rows *sql.Rows) error {
			var r rulesrun.Insurance
			if err := rows.Scan(&r.PersonID, dayScanner{&r.From, 0}, dayScanner{&r.To, rulesrun.NoEnd}, &r.MonthlyWage); err != nil {
				return err
			}
			d.Insurance = append(d.Insurance, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read insurance periods: %w", err)
		}
		d.Incomes = make([]rulesrun.Income, 0, 4*len(d.Members))
		err = each(ctx, tx, `SELECT r.person_id, r.month, r.amount
			FROM `+from+` JOIN income_records r ON r.person_id = `+id+`
			WHERE `+cond+` AND r.month >= $3 AND r.month <= $4`, []any{sh.Lo, sh.Hi, w.IncomeFrom.String(), w.IncomeTo.String()},
			func(rows *sql.Rows) error {
				var r rulesrun.Income
				if err := rows.Scan(&r.PersonID, monthScanner{&r.Month}, &r.Amount); err != nil {
					return err
				}
				d.Incomes = append(d.Incomes, r)
				return nil
			})
		if err != nil {
			return fmt.Errorf("read income records: %w", err)
		}
		err = each(ctx, tx, `SELECT r.person_id, r.degree, r.cause, r.percent, r.starts_on, r.ends_on
			FROM `+from+` JOIN disability_assessments r ON r.person_id = `+id+`
			WHERE `+cond+` AND r.starts_on <= $3 AND (r.ends_on IS NULL OR r.ends_on >= $4)`,
			[]any{sh.Lo, sh.Hi, end, start}, func(rows *sql.Rows) error {
				var r rulesrun.Disability
				var degree, cause string
				if err := rows.Scan(&r.PersonID, &degree, &cause, &r.Percent, dayScanner{&r.From, 0}, dayScanner{&r.To, rulesrun.NoEnd}); err != nil {
					return err
				}
				r.Degree, r.Cause = dost.DisabilityDegree(degree), dost.DisabilityCause(cause)
				d.Disabilities = append(d.Disabilities, r)
				return nil
			})
		if err != nil {
			return fmt.Errorf("read disability assessments: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read shard %s: %w", sh, err)
	}
	return d, nil
}

// each runs query in tx and calls scan for every row.
func each(ctx context.Context, tx *Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// dayScanner scans a DATE (PostgreSQL) or 'YYYY-MM-DD' TEXT (SQLite)
// column into a rules.Date without time.Parse; NULL scans as null.
type dayScanner struct {
	d    *rules.Date
	null rules.Date
}

// Scan implements sql.Scanner.
func (s dayScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.d = s.null
		return nil
	case time.Time:
		y, m, d := v.Date()
		*s.d = rules.DateOf(y, m, d)
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	}
	return fmt.Errorf("scan date: unsupported type %T", src)
}

func (s dayScanner) parse(v string) error {
	y, m, d, ok := digits(v, 4), digits(v[min(5, len(v)):], 2), digits(v[min(8, len(v)):], 2), len(v) >= 10
	if !ok || y < 0 || m < 1 || m > 12 || d < 1 || d > 31 || v[4] != '-' || v[7] != '-' {
		return fmt.Errorf("scan date: bad date %q", v)
	}
	*s.d = rules.DateOf(y, time.Month(m), d)
	return nil
}

// digits returns the number in the first n bytes of s, or -1.
func digits(s string, n int) int {
	if len(s) < n {
		return -1
	}
	x := 0
	for i := range n {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		x = x*10 + int(c-'0')
	}
	return x
}

// monthScanner scans a 'YYYY-MM' TEXT column into a dost.Month.
type monthScanner struct{ m *dost.Month }

// Scan implements sql.Scanner.
func (s monthScanner) Scan(src any) error {
	var v string
	switch x := src.(type) {
	case string:
		v = x
	case []byte:
		v = string(x)
	default:
		return fmt.Errorf("scan month: unsupported type %T", src)
	}
	y, m := digits(v, 4), digits(v[min(5, len(v)):], 2)
	if len(v) != 7 || y < 0 || m < 1 || m > 12 || v[4] != '-' {
		return fmt.Errorf("scan month: bad month %q", v)
	}
	*s.m = dost.Month{Year: y, Month: time.Month(m)}
	return nil
}

// CreateRun stores r as a new running run and sets its ID and StartedAt.
func (s *PopulationStore) CreateRun(ctx context.Context, r *rulesrun.Run) error {
	return s.db.update(ctx, func(tx *Tx) error {
		r.Status, r.StartedAt = rulesrun.StatusRunning, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO rule_runs (period, rule_set, variables, status, started_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			r.Period.String(), r.RuleSet, strings.Join(r.Variables, ","), r.Status, tx.ts(tx.now)).Scan(&r.ID)
		if err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		return nil
	})
}

// resultColumns are the columns of rule_results, in insert order.
var resultColumns = []string{"run_id", "variable", "household_id", "person_id", "value"}

// WriteShard replaces the results and the row in rule_run_shards of
// res.Shard in run r, in one transaction: a shard written twice is stored
// once. The run's variables tell which results the shard owns: those of
// its household IDs (households shard) or of its persons in no household
// (household ID 0, loners shard).
func (s *PopulationStore) WriteShard(ctx context.Context, r *rulesrun.Run, res *rulesrun.ShardResult) error {
	sh := res.Shard
	if _, _, err := shardSource(sh); err != nil {
		return err
	}
	if len(r.Variables) == 0 {
		return dost.Errorf(dost.EINVALID, "The run has no variables.")
	}
	summary, err := json.Marshal(res.Summary)
	if err != nil {
		return fmt.Errorf("write shard: %w", err)
	}
	return s.db.update(ctx, func(tx *Tx) error {
		a := args{r.ID}
		ph := make([]string, len(r.Variables))
		for i, v := range r.Variables {
			ph[i] = a.add(v)
		}
		q := `DELETE FROM rule_results WHERE run_id = $1 AND variable IN (` + strings.Join(ph, ", ") + `) AND `
		if sh.Kind == rulesrun.ShardHouseholds {
			q += `household_id >= ` + a.add(sh.Lo) + ` AND household_id < ` + a.add(sh.Hi)
		} else {
			q += `household_id = 0 AND person_id >= ` + a.add(sh.Lo) + ` AND person_id < ` + a.add(sh.Hi)
		}
		if _, err := tx.ExecContext(ctx, q, a...); err != nil {
			return fmt.Errorf("write shard %s: delete results: %w", sh, err)
		}
		err := insertRows(ctx, tx, "rule_results", resultColumns, len(res.Results), func(i int, row []any) {
			x := &res.Results[i]
			row[0], row[1], row[2], row[3], row[4] = r.ID, x.Variable, x.HouseholdID, x.PersonID, x.Value
		})
		if err != nil {
			return fmt.Errorf("write shard %s: insert results: %w", sh, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO rule_run_shards (run_id, kind, lo, hi, persons, households, summary, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (run_id, kind, lo) DO UPDATE SET hi = excluded.hi, persons = excluded.persons,
				households = excluded.households, summary = excluded.summary, finished_at = excluded.finished_at`,
			r.ID, string(sh.Kind), sh.Lo, sh.Hi, res.Summary.Persons, res.Summary.Households, string(summary), tx.ts(tx.now))
		if err != nil {
			return fmt.Errorf("write shard %s: %w", sh, err)
		}
		return nil
	})
}

// FinishRun sums the summaries of run r's stored shards into r.Summary and
// stores it with status and the finish time.
func (s *PopulationStore) FinishRun(ctx context.Context, r *rulesrun.Run, status string) error {
	return s.db.update(ctx, func(tx *Tx) error {
		var sum rulesrun.Summary
		for _, v := range r.Variables {
			sum.Totals = append(sum.Totals, rulesrun.Total{Variable: v})
		}
		err := each(ctx, tx, `SELECT summary FROM rule_run_shards WHERE run_id = $1 ORDER BY kind, lo`, []any{r.ID},
			func(rows *sql.Rows) error {
				var js string
				if err := rows.Scan(&js); err != nil {
					return err
				}
				var sh rulesrun.Summary
				if err := json.Unmarshal([]byte(js), &sh); err != nil {
					return err
				}
				sum.Add(&sh)
				return nil
			})
		if err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		js, err := json.Marshal(sum)
		if err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE rule_runs SET status = $1, finished_at = $2, shards = $3, persons = $4,
			households = $5, summary = $6 WHERE id = $7`,
			status, tx.ts(tx.now), sum.Shards, sum.Persons, sum.Households, string(js), r.ID)
		if err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("finish run: %w", err)
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Run %d not found.", r.ID)
		}
		r.Status, r.FinishedAt, r.Summary = status, tx.now, sum
		return nil
	})
}

// FindRunByID returns a run with its summary. Errors: not_found.
func (s *PopulationStore) FindRunByID(ctx context.Context, id int64) (*rulesrun.Run, error) {
	var r rulesrun.Run
	err := s.db.view(ctx, func(tx *Tx) error {
		var period, vars, summary string
		var finished *time.Time
		err := tx.QueryRowContext(ctx, `SELECT id, period, rule_set, variables, status, summary, started_at, finished_at
			FROM rule_runs WHERE id = $1`, id).Scan(&r.ID, &period, &r.RuleSet, &vars, &r.Status, &summary,
			scanTime(&r.StartedAt), scanNullTime(&finished))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Run %d not found.", id)
		} else if err != nil {
			return err
		}
		if r.Period, err = rules.ParsePeriod(period); err != nil {
			return err
		}
		if vars != "" {
			r.Variables = strings.Split(vars, ",")
		}
		if finished != nil {
			r.FinishedAt = *finished
		}
		if summary != "" {
			return json.Unmarshal([]byte(summary), &r.Summary)
		}
		return nil
	})
	if err != nil {
		var de *dost.Error
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("find run: %w", err)
	}
	return &r, nil
}

// FindRuleResults returns the stored results of variable in run runID in
// (household ID, person ID) order: for the proactive service, who is
// eligible or due what in the run's period.
func (s *PopulationStore) FindRuleResults(ctx context.Context, runID int64, variable string) ([]rulesrun.Result, error) {
	var out []rulesrun.Result
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT household_id, person_id, value FROM rule_results
			WHERE run_id = $1 AND variable = $2 ORDER BY household_id, person_id`, []any{runID, variable},
			func(rows *sql.Rows) error {
				r := rulesrun.Result{Variable: variable}
				if err := rows.Scan(&r.HouseholdID, &r.PersonID, &r.Value); err != nil {
					return err
				}
				out = append(out, r)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find rule results: %w", err)
	}
	return out, nil
}
