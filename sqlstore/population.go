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
// and their records in w (insurance periods, income records, disability
// assessments and dismissals), with five range queries in one read
// transaction (a consistent snapshot). A one-household shard is how
// casework and the proactive service read a single household, so they
// and a population run get the same records.
//
// The records are read by person ID range when the members' IDs are dense
// (persons imported household by household, as registry extracts and
// `dost gen` are), leaving out the persons of other shards in the range:
// the records' indexes are then read in one sweep instead of one lookup
// per member (insurance periods in half the time). Otherwise they are
// joined to the shard's members. Rows are scanned into any (see eachRow).
// Together these cut reading 20 shards of 50,000 persons of a registry of
// 10 million from 12.8 to 7.7 CPU-seconds.
func (s *PopulationStore) ReadShard(ctx context.Context, sh rulesrun.Shard, w rulesrun.Window) (*rulesrun.ShardData, error) {
	from, id, err := shardSource(sh)
	if err != nil {
		return nil, err
	}
	cond := shardWhere(sh)
	d := &rulesrun.ShardData{}
	start, end := dost.DateOf(w.Start.Time()), dost.DateOf(w.End.Time())
	dismissedFrom := dost.DateOf(w.DismissedFrom.Time())
	err = s.db.view(ctx, func(tx *Tx) error {
		if err := readMembers(ctx, tx, sh, start, end, d); err != nil {
			return fmt.Errorf("read members: %w", err)
		}
		if len(d.Members) == 0 {
			return nil
		}
		// records returns the query for cols of table's rows of the shard
		// matching extra, with the range it reads as $1 and $2, and whether
		// a row's person is one of d.Members.
		lo, hi, member, dense := denseMembers(d.Members)
		records := func(table, cols, extra string) (string, []any, func(int64) bool) {
			if dense {
				return `SELECT ` + cols + ` FROM ` + table + ` r WHERE r.person_id >= $1 AND r.person_id <= $2 AND ` + extra,
					[]any{lo, hi}, member
			}
			return `SELECT ` + cols + ` FROM ` + from + ` JOIN ` + table + ` r ON r.person_id = ` + id +
					` WHERE ` + cond + ` AND ` + extra,
				[]any{sh.Lo, sh.Hi}, func(int64) bool { return true }
		}

		q, a, member := records(`insurance_periods`, `r.person_id, r.starts_on, r.ends_on, r.monthly_wage`, `r.starts_on <= $3`)
		d.Insurance = make([]rulesrun.Insurance, 0, len(d.Members)/2)
		err := eachRow(ctx, tx, q, append(a, end), 4, func(v []any) error {
			var r rulesrun.Insurance
			var err error
			if r.PersonID, err = intValue(v[0]); err != nil || !member(r.PersonID) {
				return err
			}
			wage, err := intValue(v[3])
			if err != nil {
				return err
			}
			r.MonthlyWage = dost.Money(wage)
			if err := (dayScanner{&r.From, 0}).Scan(v[1]); err != nil {
				return err
			}
			if err := (dayScanner{&r.To, rulesrun.NoEnd}).Scan(v[2]); err != nil {
				return err
			}
			d.Insurance = append(d.Insurance, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read insurance periods: %w", err)
		}

		q, a, member = records(`income_records`, `r.person_id, r.month, r.amount`, `r.month >= $3 AND r.month <= $4`)
		d.Incomes = make([]rulesrun.Income, 0, 6*len(d.Members))
		err = eachRow(ctx, tx, q, append(a, w.IncomeFrom.String(), w.IncomeTo.String()), 3, func(v []any) error {
			var r rulesrun.Income
			var err error
			if r.PersonID, err = intValue(v[0]); err != nil || !member(r.PersonID) {
				return err
			}
			amount, err := intValue(v[2])
			if err != nil {
				return err
			}
			r.Amount = dost.Money(amount)
			if err := (monthScanner{&r.Month}).Scan(v[1]); err != nil {
				return err
			}
			d.Incomes = append(d.Incomes, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read income records: %w", err)
		}

		q, a, member = records(`disability_assessments`, `r.person_id, r.degree, r.cause, r.percent, r.starts_on, r.ends_on`,
			`r.starts_on <= $3 AND (r.ends_on IS NULL OR r.ends_on >= $4)`)
		err = eachRow(ctx, tx, q, append(a, end, start), 6, func(v []any) error {
			var r rulesrun.Disability
			var err error
			if r.PersonID, err = intValue(v[0]); err != nil || !member(r.PersonID) {
				return err
			}
			degree, err := textValue(v[1])
			if err != nil {
				return err
			}
			cause, err := textValue(v[2])
			if err != nil {
				return err
			}
			percent, err := intValue(v[3])
			if err != nil {
				return err
			}
			r.Degree, r.Cause, r.Percent = dost.DisabilityDegree(degree), dost.DisabilityCause(cause), int(percent)
			if err := (dayScanner{&r.From, 0}).Scan(v[4]); err != nil {
				return err
			}
			if err := (dayScanner{&r.To, rulesrun.NoEnd}).Scan(v[5]); err != nil {
				return err
			}
			d.Disabilities = append(d.Disabilities, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read disability assessments: %w", err)
		}

		q, a, member = records(`dismissals`, `r.person_id, r.date, r.reason`, `r.date >= $3 AND r.date <= $4`)
		err = eachRow(ctx, tx, q, append(a, dismissedFrom, end), 3, func(v []any) error {
			var r rulesrun.Dismissal
			var err error
			if r.PersonID, err = intValue(v[0]); err != nil || !member(r.PersonID) {
				return err
			}
			reason, err := textValue(v[2])
			if err != nil {
				return err
			}
			r.Reason = dost.DismissalReason(reason)
			if err := (dayScanner{&r.Date, 0}).Scan(v[1]); err != nil {
				return err
			}
			d.Dismissals = append(d.Dismissals, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read dismissals: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read shard %s: %w", sh, err)
	}
	return d, nil
}

// readMembers reads a shard's persons alive on start and born by end into
// d.Members, in household order: a child born in November is not a member
// of its household in October (a back-dated month, a payroll's arrears). (Reading the members and then their persons by ID
// range, as ReadShard reads records, measured no faster: members' persons
// are looked up in ID order, for which SQLite steps to the next row.)
func readMembers(ctx context.Context, tx *Tx, sh rulesrun.Shard, start, end dost.Date, d *rulesrun.ShardData) error {
	var q string
	if sh.Kind == rulesrun.ShardHouseholds {
		q = `SELECT m.household_id, m.person_id, m.role, p.birth_date, p.death_date, p.sex
			FROM household_members m JOIN persons p ON p.id = m.person_id
			WHERE ` + shardWhere(sh) + ` AND (p.death_date IS NULL OR p.death_date >= $3) AND p.birth_date <= $4
			ORDER BY m.household_id, m.person_id`
	} else {
		q = `SELECT 0, m.id, 'head', m.birth_date, m.death_date, m.sex FROM persons m
			WHERE ` + shardWhere(sh) + ` AND (m.death_date IS NULL OR m.death_date >= $3) AND m.birth_date <= $4
			ORDER BY m.id`
	}
	return eachRow(ctx, tx, q, []any{sh.Lo, sh.Hi, start, end}, 6, func(v []any) error {
		var m rulesrun.Member
		var err error
		if m.HouseholdID, err = intValue(v[0]); err != nil {
			return err
		}
		if m.PersonID, err = intValue(v[1]); err != nil {
			return err
		}
		role, err := textValue(v[2])
		if err != nil {
			return err
		}
		sex, err := textValue(v[5])
		if err != nil {
			return err
		}
		m.Role, m.Sex = dost.HouseholdRole(role), dost.Sex(sex)
		if err := (dayScanner{&m.BirthDate, 0}).Scan(v[3]); err != nil {
			return err
		}
		if err := (dayScanner{&m.DeathDate, 0}).Scan(v[4]); err != nil {
			return err
		}
		d.Members = append(d.Members, m)
		return nil
	})
}

// denseMembers returns the smallest and largest person ID of members and
// whether an ID is a member's, if the IDs in between are mostly members'
// (reading records by ID range then reads few of other persons).
func denseMembers(members []rulesrun.Member) (lo, hi int64, member func(int64) bool, ok bool) {
	lo, hi = members[0].PersonID, members[0].PersonID
	for _, m := range members {
		lo, hi = min(lo, m.PersonID), max(hi, m.PersonID)
	}
	if hi-lo >= 2*int64(len(members)) {
		return 0, 0, nil, false
	}
	in := make([]bool, hi-lo+1)
	for _, m := range members {
		in[m.PersonID-lo] = true
	}
	return lo, hi, func(id int64) bool { return id >= lo && id <= hi && in[id-lo] }, true
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

// eachRow runs query in tx and calls fn with every row's n values as the
// driver returns them (see intValue, textValue, dayScanner). Scanning into
// any skips database/sql's conversions, which go through reflection for
// integer columns and allocate for a Scanner with two fields: over the
// millions of rows of a population run they took an eighth of the reading.
func eachRow(ctx context.Context, tx *Tx, query string, args []any, n int, fn func(v []any) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	v := make([]any, n)
	dest := make([]any, n)
	for i := range v {
		dest[i] = &v[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// intValue returns an integer column's value: int64 from SQLite and for
// PostgreSQL's BIGINT, int32 or int16 for its INTEGER and SMALLINT.
func intValue(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	}
	return 0, fmt.Errorf("scan integer: unsupported type %T", v)
}

// textValue returns a text column's value.
func textValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("scan text: unsupported type %T", v)
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
