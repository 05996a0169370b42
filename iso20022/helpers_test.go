package iso20022_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// xmllint validates file against testdata/<schema>.xsd and returns whether
// it validates and xmllint's output. A missing xmllint fails the test: the
// schema checks are part of the suite (install libxml2-utils).
func xmllint(t testing.TB, schema, file string) (bool, string) {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is not installed (apt-get install -y libxml2-utils): %v", err)
	}
	out, err := exec.Command(path, "--noout", "--schema", filepath.Join("testdata", schema+".xsd"), file).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run xmllint: %v", err)
		}
		return false, string(out)
	}
	return true, string(out)
}

// mustValidate writes data to a temporary file and fails unless it
// validates against schema.
func mustValidate(t testing.TB, schema string, data []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "msg.xml")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, out := xmllint(t, schema, f); !ok {
		if len(out) > 2000 {
			out = out[:2000]
		}
		t.Fatalf("%s does not validate:\n%s", schema, out)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The paying agency and beneficiaries used across the tests. The IBANs
// have valid check digits.
var (
	debtor = iso20022.Account{Name: "DOST Agentliyi", IBAN: "AZ83AIIB40060019440000000001", BIC: "AIIBAZ2X"}
	ibans  = []string{"AZ21NABZ00000000137010001944", "AZ83AIIB40060019440000000001"}
	now    = time.Date(2026, 11, 25, 10, 30, 0, 0, dost.Baku)
	execDt = dost.MustDate("2026-11-26")
)

// payment returns the i-th payment of a generated cycle.
func payment(i int) iso20022.Payment {
	p := iso20022.Payment{
		EndToEndID:   fmt.Sprintf("P-%010d", i),
		Amount:       dost.Money(1 + i%100000),
		CreditorName: fmt.Sprintf("Benefisiar %d", i),
		CreditorIBAN: ibans[i%2],
		Remittance:   "TSSA 2026-11",
	}
	if i%3 == 0 {
		p.CreditorBIC = "NABZAZ2X"
	}
	return p
}

// export writes n generated payments in blocks of at most per payments and
// returns the file and its total.
func export(tb testing.TB, n, per int, pay func(int) iso20022.Payment) ([]byte, dost.Money) {
	tb.Helper()
	var buf bytes.Buffer
	sum, err := writeFile(&buf, n, per, pay)
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), sum
}

func writeFile(w interface{ Write([]byte) (int, error) }, n, per int, pay func(int) iso20022.Payment) (dost.Money, error) {
	var total dost.Money
	var blockSums []dost.Money
	for i := 0; i < n; i++ {
		if i%per == 0 {
			blockSums = append(blockSums, 0)
		}
		a := pay(i).Amount
		total += a
		blockSums[len(blockSums)-1] += a
	}
	wr, err := iso20022.NewWriter(w, iso20022.Header{MessageID: "DOST-2026-11-AIIB", CreatedAt: now, Debtor: debtor, NumberOfTransactions: int64(n), ControlSum: total})
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if i%per == 0 {
			b := i / per
			err := wr.Begin(iso20022.Batch{ID: fmt.Sprintf("TSSA-2026-11-%d", b), ExecutionDate: execDt, CategoryPurpose: "SSBE",
				NumberOfTransactions: int64(min(per, n-i)), ControlSum: blockSums[b]})
			if err != nil {
				return 0, err
			}
		}
		if err := wr.WritePayment(pay(i)); err != nil {
			return 0, err
		}
	}
	return total, wr.Close()
}

// TestSchemasUnchanged checks that the schemas in testdata are the ones the
// README names.
func TestSchemasUnchanged(t *testing.T) {
	for name, want := range map[string]string{
		"pain.001.001.09.xsd": "de038b373e47b0077b1832ddd81f4b2f1eb25d35721f62da1e38b7f5a09fda24",
		"pain.002.001.10.xsd": "2f9f8d0e9891fa9f31ccf0576397afe501614384d688ae6e43ba694b3d24b0cf",
		"camt.054.001.08.xsd": "13d220337d47e22cf25788807c136794a76955791df612c6947277272d440da6",
	} {
		sum := sha256.Sum256(readTestdata(t, name))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, want %s", name, got, want)
		}
	}
}

// TestSamples checks that xmllint tells the valid samples and our fixtures
// from the invalid samples, so that a schema check can fail.
func TestSamples(t *testing.T) {
	for _, c := range []struct {
		schema, file string
		valid        bool
	}{
		{"pain.001.001.09", "pain.001.001.09.valid.xml", true},
		{"pain.001.001.09", "pain.001.001.09.invalid.xml", false},
		{"pain.002.001.10", "pain.002.001.10.valid.xml", true},
		{"pain.002.001.10", "pain.002.001.10.invalid.xml", false},
		{"pain.002.001.10", "pain.002.001.10.mixed.xml", true},
		{"pain.002.001.10", "pain.002.001.10.group-rejected.xml", true},
		{"camt.054.001.08", "camt.054.001.08.valid.xml", true},
		{"camt.054.001.08", "camt.054.001.08.invalid.xml", false},
		{"camt.054.001.08", "camt.054.001.08.batch.xml", true},
		{"camt.054.001.08", "camt.054.001.08.incomplete.xml", true},
		{"pain.002.001.10", "pain.002.001.10.blocks.xml", true},
	} {
		ok, out := xmllint(t, c.schema, filepath.Join("testdata", c.file))
		if ok != c.valid {
			t.Errorf("%s: validates %v, want %v\n%s", c.file, ok, c.valid, out)
		}
	}
}
