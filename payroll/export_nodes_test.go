package payroll_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// TestExport_TwoNodes: two nodes (two sqlstore.DB over one database: two
// PostgreSQL pools, or two SQLite handles as two processes would hold)
// export an approved cycle at once, each bank's file from one node and one
// bank's from both. Every payment is sent once, each file is recorded
// once with the digest of the bytes both nodes wrote, and the cycle is
// exported.
func TestExport_TwoNodes(t *testing.T) {
	t.Parallel()
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			dsn := dosttest.DSN(t, dialect)
			open := func() *sqlstore.DB {
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Migrate: true, Clock: dosttest.NewClock(dosttest.DefaultNow),
					PasswordParams: dosttest.PasswordParams})
				ok(t, err)
				t.Cleanup(func() { db.Close() })
				return db
			}
			e := newEnv(t, open(), 300, 100)
			c, err := e.svc.PrepareCycle(as(1), "", november)
			ok(t, err)
			c, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
			ok(t, err)
			pending, _, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentPending}})
			ok(t, err)
			perBank := map[string]int{}
			for _, p := range pending {
				perBank[p.Bank]++
			}
			if len(perBank) < 3 {
				t.Fatalf("payments in banks %v, want at least three banks", perBank)
			}

			// The second node: its own database handle and service.
			dbB := open()
			rs, err := az.RuleSet()
			ok(t, err)
			svcB, err := payroll.New(payroll.Config{Store: sqlstore.NewPayrollStore(dbB), Persons: sqlstore.NewPersonService(dbB),
				Population: sqlstore.NewPopulationStore(dbB), RuleSet: rs, Programmes: az.Programmes(), ShardSize: 100, Clock: dbB.Clock(),
				Debtor: iso20022.Account{Name: "DOST Agentliyi", IBAN: iban("AIIB", 1), BIC: "AIIBAZ2X"}})
			ok(t, err)
			nodes := []*payroll.Service{e.svc, svcB}

			// Each bank from one node, alternately; the first bank from both.
			type job struct {
				node int
				bank string
			}
			var jobs []job
			i := 0
			for bank := range perBank {
				jobs = append(jobs, job{i % 2, bank})
				if i == 0 {
					jobs = append(jobs, job{1, bank})
				}
				i++
			}
			out := make([][]byte, len(jobs))
			errs := make([]error, len(jobs))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for k, j := range jobs {
				wg.Go(func() {
					<-start
					var b bytes.Buffer
					_, errs[k] = nodes[j.node].ExportBankFile(as(3), c.ID, j.bank, &b)
					out[k] = b.Bytes()
				})
			}
			close(start)
			wg.Wait()
			written := map[string][]byte{}
			for k, j := range jobs {
				if errs[k] != nil {
					t.Fatalf("node %d, bank %s: %v", j.node, j.bank, errs[k])
				}
				if prev, seen := written[j.bank]; seen && !bytes.Equal(prev, out[k]) {
					t.Errorf("bank %s: the two nodes wrote different files", j.bank)
				}
				written[j.bank] = out[k]
			}

			files, err := e.svc.CycleFiles(as(1), c.ID)
			ok(t, err)
			if len(files) != len(perBank) {
				t.Fatalf("%d files recorded, want %d", len(files), len(perBank))
			}
			for _, f := range files {
				sum := sha256.Sum256(written[f.Bank.Code])
				if f.SHA256 != hex.EncodeToString(sum[:]) || f.Count != perBank[f.Bank.Code] {
					t.Errorf("bank %s: recorded %d payments, digest %s; want %d and the bytes written", f.Bank.Code, f.Count, f.SHA256, perBank[f.Bank.Code])
				}
			}
			sent, n, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentSent}})
			ok(t, err)
			if n != len(pending) || len(sent) != len(pending) {
				t.Errorf("%d payments sent, want %d", n, len(pending))
			}
			after, err := e.svc.FindCycleByID(as(1), c.ID)
			ok(t, err)
			if after.Status != dost.CycleExported {
				t.Errorf("cycle %s, want exported", after.Status)
			}
		})
	}
}
