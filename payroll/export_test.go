package payroll_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// schema is the official pain.001.001.09 schema.
const schema = "../iso20022/testdata/pain.001.001.09.xsd"

// exportTo exports cycle id into dir, a file per bank, and returns the
// files and their content by bank.
func exportTo(t *testing.T, e *env, id int64, dir string) ([]*dost.ExportFile, map[string][]byte) {
	t.Helper()
	files, err := e.svc.ExportCycle(as(3), id, func(b *dost.Bank) (io.WriteCloser, error) {
		return os.Create(filepath.Join(dir, b.Code+".xml"))
	})
	ok(t, err)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Bank.Code+".xml"))
		ok(t, err)
		out[f.Bank.Code] = b
	}
	return files, out
}

// TestExport exports an approved cycle: a schema-valid pain.001 per bank
// whose totals are the cycle's, its payments sent; exported again, the
// same files and no change.
func TestExport(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		_, err = e.svc.ExportCycle(as(3), c.ID, nil)
		wantCode(t, err, dost.ECONFLICT)
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		ok(t, err)

		files, content := exportTo(t, e, c.ID, t.TempDir())
		var n int
		var total dost.Money
		for _, f := range files {
			n += f.Count
			total += f.Total
			if f.MessageID != payroll.MessageID(c.ID, f.Bank.Code) || f.Bank.BIC == "" {
				t.Errorf("file %+v", f)
			}
			if !bytes.Contains(content[f.Bank.Code], []byte("<MsgId>"+f.MessageID+"</MsgId>")) {
				t.Errorf("file of %s lacks its message ID", f.Bank.Code)
			}
		}
		if n != c.Count || total != c.Total || len(files) < 2 {
			t.Fatalf("%d files of %d payments, %s; cycle %d, %s", len(files), n, total, c.Count, c.Total)
		}
		for code, b := range content {
			path := filepath.Join(t.TempDir(), code+".xml")
			ok(t, os.WriteFile(path, b, 0o600))
			if out, err := exec.Command("xmllint", "--noout", "--schema", schema, path).CombinedOutput(); err != nil {
				t.Errorf("%s: xmllint (libxml2-utils): %v\n%s", code, err, out)
			}
		}
		got, err := e.svc.FindCycleByID(as(1), c.ID)
		ok(t, err)
		sent, nSent, err := e.svc.FindPayments(as(1), dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentSent}})
		ok(t, err)
		if got.Status != dost.CycleExported || got.ExportedAt == nil || nSent != c.Count {
			t.Fatalf("exported: %+v with %d sent, want %d", got, nSent, c.Count)
		}
		events, err := e.svc.FindPaymentEvents(as(1), sent[0].ID)
		ok(t, err)
		if len(events) != 2 || events[1].Status != dost.PaymentSent || events[1].ActorID != 3 {
			t.Errorf("history %+v, want pending then sent by 3", events)
		}

		// Again: the same files, nothing changed.
		_, again := exportTo(t, e, c.ID, t.TempDir())
		for code, b := range content {
			if !bytes.Equal(again[code], b) {
				t.Errorf("file of %s differs when exported again", code)
			}
		}
		events2, err := e.svc.FindPaymentEvents(as(1), sent[0].ID)
		ok(t, err)
		if len(events2) != len(events) {
			t.Errorf("exported again: %d events, were %d", len(events2), len(events))
		}
	})
}
