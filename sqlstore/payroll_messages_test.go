package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/sqlstore"
)

// TestPayrollStore_RecordExportUnstorable: files that cannot be stored
// are refused naming the bank and the programme at fault.
func TestPayrollStore_RecordExportUnstorable(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewPayrollStore(db)
		file := func(bank, programme string) *payroll.File {
			return &payroll.File{CycleID: 7, ExportFile: dost.ExportFile{Bank: dost.Bank{Code: bank}, MessageID: "DOST-7-" + bank},
				Blocks: []*payroll.Block{{Seq: 1, ID: "DOST-7-" + bank + "-1", Programme: programme}}}
		}
		for _, tc := range []struct {
			files []*payroll.File
			want  []string
		}{
			{[]*payroll.File{file("AIIB", "old_age_pension"), file("BA\x00D", "old_age_pension")}, []string{`"BA\x00D"`}},
			{[]*payroll.File{file("AIIB", "old_age_pension"), file("PAHA", "tsa\xff")}, []string{`"PAHA"`, `"tsa\xff"`}},
		} {
			_, err := s.RecordExport(ctx, 7, tc.files, nil)
			if dost.ErrorCode(err) != dost.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(dost.ErrorMessage(err), w) {
					t.Errorf("%q does not name %s", dost.ErrorMessage(err), w)
				}
			}
		}
	})
}
