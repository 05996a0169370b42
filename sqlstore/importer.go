package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// RegistryImporter stores bulk registry imports all-or-nothing. It is safe
// for concurrent use; on SQLite imports run one at a time like every write.
type RegistryImporter struct {
	db *DB
}

var _ dost.RegistryImporter = (*RegistryImporter)(nil)

// NewRegistryImporter returns a RegistryImporter over db.
func NewRegistryImporter(db *DB) *RegistryImporter { return &RegistryImporter{db: db} }

// Bulk-load tuning.
const (
	// rowsPerInsert is how many rows one multi-row INSERT carries, below
	// SQLite's limit of 32766 bound variables for the widest table.
	rowsPerInsert = 500
	// lookupChunk is how many keys one "IN (…)" lookup carries.
	lookupChunk = 500
	// rebuildIndexesAt is the batch size from which SQLite's secondary
	// indexes on persons are dropped and rebuilt after the load (inside the
	// transaction, so readers never see them missing), which is faster
	// than maintaining them row by row.
	rebuildIndexesAt = 50_000
)

// importCacheKiB is SQLite's page cache on the writer connection while an
// import runs, in KiB (it is writerCacheKiB otherwise). An import adds to
// the persons' indexes by FIN and by name at random places, and to the one
// by birth date at the ends of thousands of runs of equal dates, so every
// row dirties pages all over them. Once those outgrow the cache, each row
// evicts pages (spilling dirty ones to the WAL) and reads others back:
// `dost gen --into-db` took 15 s for its first 250,000 persons and 50 s
// for the seventh. 1 GiB holds those pages up to about 10 million persons
// (the FIN and name indexes are then 520 MB); SQLite takes the memory only
// as it reads pages, so small imports do not pay for it.
var importCacheKiB = 1 << 20

// Import stores the whole batch in one transaction: persons, households
// (members by FIN, in the batch or already stored), income records,
// insurance periods and disability assessments (persons by FIN). Before
// writing anything it checks, in bulk, for FINs already registered or
// repeated, household codes taken or repeated, members unknown or already
// in a household, records for unknown FINs and repeated income records;
// every such row is reported in one *dost.ImportError and nothing is stored.
// Rows are assumed validated by the parser. Import sets the IDs of the
// batch's persons and households and the PersonID of its records.
func (s *RegistryImporter) Import(ctx context.Context, b *dost.ImportBatch) error {
	for _, p := range b.Persons {
		p.Normalize()
	}
	if s.db.dialect == DialectSQLite {
		// Back to the usual cache once the import is over. This waits for
		// the writer connection, so it cannot shrink the cache of another
		// import under way.
		defer s.db.write.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = "+strconv.Itoa(-writerCacheKiB))
	}
	return s.db.update(ctx, func(tx *Tx) error {
		if tx.db.dialect == DialectSQLite {
			if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(-importCacheKiB)); err != nil {
				return err
			}
		}
		im := &importer{tx: tx, b: b, ids: make(map[dost.FIN]int64, len(b.Persons))}
		if err := im.check(ctx); err != nil {
			return err
		}
		if len(im.errs) > 0 {
			sort.SliceStable(im.errs, func(i, j int) bool { return im.errs[i].Line < im.errs[j].Line })
			return &dost.ImportError{Rows: im.errs}
		}
		return im.store(ctx)
	})
}

// Check reports every row of b that conflicts with the database or with
// another row, as Import would, without storing anything. It lets a caller
// merge these with the rows its parser rejected into one report.
func (s *RegistryImporter) Check(ctx context.Context, b *dost.ImportBatch) ([]dost.RowError, error) {
	for _, p := range b.Persons {
		p.Normalize()
	}
	var errs []dost.RowError
	err := s.db.view(ctx, func(tx *Tx) error {
		im := &importer{tx: tx, b: b, ids: make(map[dost.FIN]int64, len(b.Persons))}
		if err := im.check(ctx); err != nil {
			return err
		}
		errs = im.errs
		return nil
	})
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs, err
}

// importer is the state of one Import.
type importer struct {
	tx   *Tx
	b    *dost.ImportBatch
	errs []dost.RowError
	// ids maps every FIN the batch names to its person ID: stored persons
	// after check, the batch's own after storePersons.
	ids map[dost.FIN]int64
	// inBatch holds the FINs of the batch's persons.
	inBatch map[dost.FIN]bool
}

func line(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return i + 1
}

func (im *importer) fail(line int, column, format string, args ...any) {
	im.errs = append(im.errs, dost.RowError{Line: line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

// check finds every row that conflicts with the batch or the database.
func (im *importer) check(ctx context.Context) error {
	b := im.b
	// Persons: a FIN once in the batch and not yet registered.
	im.inBatch = make(map[dost.FIN]bool, len(b.Persons))
	finLine := make(map[dost.FIN]int, len(b.Persons))
	fins := make([]string, 0, len(b.Persons))
	for i, p := range b.Persons {
		if first, dup := finLine[p.FIN]; dup {
			im.fail(line(b.PersonLines, i), "fin", "FIN %s is repeated (first on line %d).", p.FIN.Masked(), first)
			continue
		}
		finLine[p.FIN] = line(b.PersonLines, i)
		im.inBatch[p.FIN] = true
		fins = append(fins, string(p.FIN))
	}
	var stored int
	if err := im.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM persons LIMIT 1) x`).Scan(&stored); err != nil {
		return err
	}
	if stored > 0 && len(fins) > 0 {
		// In key order, each lookup reads the next stretch of the FIN
		// index instead of pages all over it.
		slices.Sort(fins)
		err := im.lookup(ctx, `SELECT fin FROM persons WHERE fin IN `, fins, func(rows *sql.Rows) error {
			var fin dost.FIN
			if err := rows.Scan(&fin); err != nil {
				return err
			}
			im.fail(finLine[fin], "fin", "FIN %s is already registered.", fin.Masked())
			return nil
		})
		if err != nil {
			return err
		}
	}

	// Every FIN named by a household or a record but not a batch person
	// must be stored already.
	outside := map[dost.FIN]bool{}
	note := func(fin dost.FIN) {
		if !im.inBatch[fin] {
			outside[fin] = true
		}
	}
	for _, h := range b.Households {
		for _, m := range h.Members {
			note(m.FIN)
		}
	}
	for _, r := range b.Incomes {
		note(r.FIN)
	}
	for _, r := range b.Insurance {
		note(r.FIN)
	}
	for _, r := range b.Disabilities {
		note(r.FIN)
	}
	if len(outside) > 0 {
		keys := make([]string, 0, len(outside))
		for fin := range outside {
			keys = append(keys, string(fin))
		}
		slices.Sort(keys)
		err := im.lookup(ctx, `SELECT fin, id FROM persons WHERE fin IN `, keys, func(rows *sql.Rows) error {
			var fin dost.FIN
			var id int64
			if err := rows.Scan(&fin, &id); err != nil {
				return err
			}
			im.ids[fin] = id
			return nil
		})
		if err != nil {
			return err
		}
	}
	known := func(fin dost.FIN) bool { return im.inBatch[fin] || im.ids[fin] != 0 }

	if err := im.checkHouseholds(ctx, known); err != nil {
		return err
	}
	for i, r := range b.Insurance {
		if !known(r.FIN) {
			im.fail(line(b.InsuranceLines, i), "fin", "No person with FIN %s.", r.FIN.Masked())
		}
	}
	for i, r := range b.Disabilities {
		if !known(r.FIN) {
			im.fail(line(b.DisabilityLines, i), "fin", "No person with FIN %s.", r.FIN.Masked())
		}
	}
	return im.checkIncomes(ctx, known)
}

func (im *importer) checkHouseholds(ctx context.Context, known func(dost.FIN) bool) error {
	b := im.b
	codeLine := map[string]int{}
	memberLine := map[dost.FIN]int{}
	var codes []string
	var storedMembers []string // IDs of stored persons named as members
	for i, h := range b.Households {
		ln := line(b.HouseholdLines, i)
		if err := h.Validate(); err != nil {
			im.fail(ln, "", "%s", householdProblem(err))
		}
		if first, dup := codeLine[h.Code]; dup {
			im.fail(ln, "code", "Household code %s is repeated (first on line %d).", h.Code, first)
		} else {
			codeLine[h.Code] = ln
			codes = append(codes, h.Code)
		}
		for _, m := range h.Members {
			switch first, dup := memberLine[m.FIN]; {
			case !known(m.FIN):
				im.fail(ln, "fin", "No person with FIN %s.", m.FIN.Masked())
			case dup:
				im.fail(ln, "fin", "%s is a member on line %d already.", m.FIN.Masked(), first)
			default:
				memberLine[m.FIN] = ln
				if !im.inBatch[m.FIN] {
					storedMembers = append(storedMembers, strconv.FormatInt(im.ids[m.FIN], 10))
				}
			}
		}
	}
	if len(codes) > 0 {
		err := im.lookup(ctx, `SELECT code FROM households WHERE code IN `, codes, func(rows *sql.Rows) error {
			var code string
			if err := rows.Scan(&code); err != nil {
				return err
			}
			im.fail(codeLine[code], "code", "Household code %s exists already.", code)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(storedMembers) > 0 {
		err := im.lookup(ctx, `SELECT p.fin FROM household_members m JOIN persons p ON p.id = m.person_id
			WHERE m.person_id IN `, storedMembers, func(rows *sql.Rows) error {
			var fin dost.FIN
			if err := rows.Scan(&fin); err != nil {
				return err
			}
			im.fail(memberLine[fin], "fin", "%s belongs to a household already.", fin.Masked())
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// householdProblem is the first field message of a household's validation
// error, or its message.
func householdProblem(err error) string {
	if fs := dost.ErrorFields(err); len(fs) > 0 {
		return fs[0].Message
	}
	return dost.ErrorMessage(err)
}

func (im *importer) checkIncomes(ctx context.Context, known func(dost.FIN) bool) error {
	b := im.b
	type key struct {
		fin    dost.FIN
		month  dost.Month
		source dost.IncomeSource
	}
	seen := make(map[key]int, len(b.Incomes))
	var stored []string // IDs of stored persons with incomes in the batch
	storedSeen := map[int64]bool{}
	for i, r := range b.Incomes {
		ln := line(b.IncomeLines, i)
		if !known(r.FIN) {
			im.fail(ln, "fin", "No person with FIN %s.", r.FIN.Masked())
			continue
		}
		k := key{r.FIN, r.Month, r.Source}
		if first, dup := seen[k]; dup {
			im.fail(ln, "month", "%s income of %s for %s is repeated (first on line %d).", r.Source, r.FIN.Masked(), r.Month, first)
			continue
		}
		seen[k] = ln
		if id := im.ids[r.FIN]; !im.inBatch[r.FIN] && !storedSeen[id] {
			storedSeen[id] = true
			stored = append(stored, strconv.FormatInt(id, 10))
		}
	}
	if len(stored) == 0 {
		return nil
	}
	return im.lookup(ctx, `SELECT p.fin, r.month, r.source FROM income_records r JOIN persons p ON p.id = r.person_id
		WHERE r.person_id IN `, stored, func(rows *sql.Rows) error {
		var k key
		if err := rows.Scan(&k.fin, monthScanner{&k.month}, &k.source); err != nil {
			return err
		}
		if ln, ok := seen[k]; ok {
			im.fail(ln, "month", "%s already has %s income for %s.", k.fin.Masked(), k.source, k.month)
		}
		return nil
	})
}

// lookup runs query (ending in "IN ") over keys in chunks, appending the
// placeholders, and calls scan for every row.
func (im *importer) lookup(ctx context.Context, query string, keys []string, scan func(*sql.Rows) error) error {
	for start := 0; start < len(keys); start += lookupChunk {
		chunk := keys[start:min(start+lookupChunk, len(keys))]
		ph := make([]string, len(chunk))
		a := make([]any, len(chunk))
		for i, k := range chunk {
			ph[i], a[i] = im.tx.db.placeholder(i+1), k
		}
		rows, err := im.tx.QueryContext(ctx, query+"("+strings.Join(ph, ", ")+")", a...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// store writes the checked batch.
func (im *importer) store(ctx context.Context) error {
	if err := im.storePersons(ctx); err != nil {
		return err
	}
	if err := im.storeHouseholds(ctx); err != nil {
		return err
	}
	b, tx := im.b, im.tx
	err := insertRows(ctx, tx, "income_records", []string{"person_id", "month", "source", "amount"},
		len(b.Incomes), func(i int, row []any) {
			r := b.Incomes[i]
			r.PersonID = im.ids[r.FIN]
			row[0], row[1], row[2], row[3] = r.PersonID, r.Month, string(r.Source), int64(r.Amount)
		})
	if err != nil {
		return fmt.Errorf("import incomes: %w", err)
	}
	err = insertRows(ctx, tx, "insurance_periods",
		[]string{"person_id", "employer", "employer_tin", "starts_on", "ends_on", "monthly_wage"},
		len(b.Insurance), func(i int, row []any) {
			r := b.Insurance[i]
			r.PersonID = im.ids[r.FIN]
			row[0], row[1], row[2], row[3], row[4], row[5] = r.PersonID, r.Employer, r.EmployerTIN, r.From, r.To, int64(r.MonthlyWage)
		})
	if err != nil {
		return fmt.Errorf("import insurance periods: %w", err)
	}
	err = insertRows(ctx, tx, "disability_assessments",
		[]string{"person_id", "degree", "cause", "percent", "starts_on", "ends_on"},
		len(b.Disabilities), func(i int, row []any) {
			r := b.Disabilities[i]
			r.PersonID = im.ids[r.FIN]
			row[0], row[1], row[2], row[3], row[4], row[5] = r.PersonID, string(r.Degree), string(r.Cause), r.Percent, r.From, r.To
		})
	if err != nil {
		return fmt.Errorf("import disability assessments: %w", err)
	}
	return nil
}

var personImportColumns = []string{"fin", "first_name", "last_name", "patronymic", "first_name_lc",
	"last_name_lc", "patronymic_lc", "birth_date", "sex", "phone", "email", "region", "district",
	"address", "status", "death_date", "iban", "language", "created_at", "updated_at"}

func (im *importer) storePersons(ctx context.Context) error {
	b, tx := im.b, im.tx
	if len(b.Persons) == 0 {
		return nil
	}
	// Rebuilding pays only when the batch is large and at least as big as
	// what is stored (max(id) is a cheap estimate of the row count).
	stored, err := maxID(ctx, tx, "persons")
	if err != nil {
		return err
	}
	if tx.db.dialect == DialectSQLite && len(b.Persons) >= rebuildIndexesAt && int64(len(b.Persons)) >= stored {
		rebuild, err := dropSecondaryIndexes(ctx, tx, "persons")
		if err != nil {
			return err
		}
		if err := im.insertPersons(ctx); err != nil {
			return err
		}
		for _, ddl := range rebuild {
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("import persons: rebuild index: %w", err)
			}
		}
		return nil
	}
	return im.insertPersons(ctx)
}

func (im *importer) insertPersons(ctx context.Context) error {
	b, tx := im.b, im.tx
	now := tx.ts(tx.now)
	before, err := maxID(ctx, tx, "persons")
	if err != nil {
		return err
	}
	// Insert in the batch's order, which for registry extracts and
	// `dost gen` is household order: a household's members then get
	// neighbouring IDs and share pages, so population runs read them
	// together (twice as fast as FIN order, which is a quarter faster to
	// import because the unique FIN index grows at its end).
	order := b.Persons
	err = insertRows(ctx, tx, "persons", personImportColumns, len(order), func(i int, row []any) {
		p := order[i]
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		row[0], row[1], row[2], row[3] = string(p.FIN), p.FirstName, p.LastName, p.Patronymic
		row[4], row[5], row[6] = searchKey(p.FirstName), searchKey(p.LastName), searchKey(p.Patronymic)
		row[7], row[8], row[9], row[10] = p.BirthDate, string(p.Sex), p.Phone, p.Email
		row[11], row[12], row[13], row[14] = p.Region, p.District, p.Address, string(p.Status)
		row[15], row[16], row[17], row[18], row[19] = p.DeathDate, p.IBAN, p.Language, now, now
	})
	if err != nil {
		return fmt.Errorf("import persons: %w", err)
	}
	byFIN := make(map[dost.FIN]*dost.Person, len(b.Persons))
	for _, p := range b.Persons {
		byFIN[p.FIN] = p
	}
	return newIDs(ctx, tx, "persons", "fin", before, func(id int64, fin string) {
		if p := byFIN[dost.FIN(fin)]; p != nil {
			p.ID = id
			im.ids[p.FIN] = id
		}
	})
}

// dropSecondaryIndexes drops the indexes of table other than its unique
// ones and returns the statements that create them again.
func dropSecondaryIndexes(ctx context.Context, tx *Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'`, table)
	if err != nil {
		return nil, err
	}
	var names, ddl []string
	for rows.Next() {
		var n, q string
		if err := rows.Scan(&n, &q); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddl = append(names, n), append(ddl, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
			return nil, err
		}
	}
	return ddl, nil
}

func (im *importer) storeHouseholds(ctx context.Context) error {
	b, tx := im.b, im.tx
	if len(b.Households) == 0 {
		return nil
	}
	now := tx.ts(tx.now)
	before, err := maxID(ctx, tx, "households")
	if err != nil {
		return err
	}
	err = insertRows(ctx, tx, "households",
		[]string{"code", "region", "district", "address", "created_at", "updated_at"},
		len(b.Households), func(i int, row []any) {
			h := b.Households[i]
			h.CreatedAt, h.UpdatedAt = tx.now, tx.now
			row[0], row[1], row[2], row[3], row[4], row[5] = h.Code, h.Region, h.District, h.Address, now, now
		})
	if err != nil {
		return fmt.Errorf("import households: %w", err)
	}
	byCode := make(map[string]*dost.Household, len(b.Households))
	for _, h := range b.Households {
		byCode[h.Code] = h
	}
	err = newIDs(ctx, tx, "households", "code", before, func(id int64, code string) {
		if h := byCode[code]; h != nil {
			h.ID = id
		}
	})
	if err != nil {
		return fmt.Errorf("import households: %w", err)
	}
	type member struct {
		household int64
		m         *dost.HouseholdMember
	}
	var members []member
	for _, h := range b.Households {
		for _, m := range h.Members {
			m.PersonID = im.ids[m.FIN]
			members = append(members, member{h.ID, m})
		}
	}
	err = insertRows(ctx, tx, "household_members", []string{"household_id", "person_id", "role"},
		len(members), func(i int, row []any) {
			row[0], row[1], row[2] = members[i].household, members[i].m.PersonID, string(members[i].m.Role)
		})
	if err != nil {
		return fmt.Errorf("import household members: %w", err)
	}
	return nil
}

// insertRows inserts n rows into table with multi-row INSERT statements,
// filling each row's values with fill. Full chunks share one prepared
// statement. A failed insert must fail the whole transaction (every caller
// returns the error, and the transaction rolls back).
func insertRows(ctx context.Context, tx *Tx, table string, cols []string, n int, fill func(i int, row []any)) error {
	if n == 0 {
		return nil
	}
	per := min(rowsPerInsert, 32000/len(cols))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	vals := make([]any, per*len(cols))
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		vals = vals[:k*len(cols)]
		for i := range k {
			fill(start+i, vals[i*len(cols):(i+1)*len(cols)])
		}
		var err error
		if k < per {
			_, err = tx.ExecContext(ctx, insertSQL(tx.db, table, cols, k), vals...)
		} else {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertSQL(tx.db, table, cols, per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, vals...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// insertSQL returns "INSERT INTO table (cols) VALUES (…), (…)" for rows
// rows. On SQLite it is INSERT OR FAIL: a statement that may abort half-way
// through its rows makes SQLite copy every page it changes into a statement
// journal first, to undo just that statement; a FAIL leaves the rows before
// the failing one in place, and the transaction's rollback undoes them
// (insertRows). For the persons' indexes, changed at random places, the
// journal took an eighth of an import's time. Tables with foreign keys
// still keep one, for the keys' checks at the end of each statement.
func insertSQL(db *DB, table string, cols []string, rows int) string {
	var b strings.Builder
	b.Grow(rows * len(cols) * 7)
	verb := "INSERT INTO "
	if db.dialect == DialectSQLite {
		verb = "INSERT OR FAIL INTO "
	}
	b.WriteString(verb + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(db.placeholder(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// maxID returns the largest id of table, 0 if it is empty.
func maxID(ctx context.Context, tx *Tx, table string) (int64, error) {
	var id sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT max(id) FROM "+table).Scan(&id)
	return id.Int64, err
}

// newIDs calls set with the id and key column of every row of table with
// an id above after: the rows just inserted (and, on PostgreSQL, rows other
// transactions committed meanwhile, which set must ignore).
func newIDs(ctx context.Context, tx *Tx, table, key string, after int64, set func(id int64, key string)) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, "+key+" FROM "+table+" WHERE id > $1", after)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return err
		}
		set(id, k)
	}
	return rows.Err()
}
