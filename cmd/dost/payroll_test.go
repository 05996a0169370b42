package main_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pain001Schema is the official schema the exported files must validate
// against.
const pain001Schema = "../../iso20022/testdata/pain.001.001.09.xsd"

// statusReport returns a pain.002.001.10 report settling every payment of
// a pain.001 file but the first, which is rejected with AC01.
func statusReport(t *testing.T, pain001 []byte) []byte {
	t.Helper()
	msgID := regexp.MustCompile(`<GrpHdr>\s*<MsgId>([^<]+)</MsgId>`).FindSubmatch(pain001)
	txs := regexp.MustCompile(`(?s)<EndToEndId>([^<]+)</EndToEndId>.*?<InstdAmt Ccy="AZN">([^<]+)</InstdAmt>`).FindAllSubmatch(pain001, -1)
	if msgID == nil || len(txs) == 0 {
		t.Fatalf("no message ID or payments in the exported file")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
<CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-%s</MsgId><CreDtTm>2026-11-26T09:00:00+04:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>%s</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>%s-1</OrgnlPmtInfId>
`, msgID[1], msgID[1], msgID[1])
	for i, tx := range txs {
		sts := "<TxSts>ACSC</TxSts>"
		if i == 0 {
			sts = "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC01</Cd></Rsn></StsRsnInf>"
		}
		fmt.Fprintf(&b, `<TxInfAndSts><OrgnlEndToEndId>%s</OrgnlEndToEndId>%s<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">%s</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
`, tx[1], sts, tx[2])
	}
	b.WriteString("</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n")
	return b.Bytes()
}

// TestPayroll runs `dost payroll` as an operations script would, over a
// demo registry scanned for awards: prepare, four eyes on approval,
// export, reconcile the bank's reports, show.
func TestPayroll(t *testing.T) {
	t.Setenv("DOST_DATA_DIR", t.TempDir()) // uploads and files, never ./dost-data in the source tree
	db := filepath.Join(t.TempDir(), "dost.db")
	must := func(args ...string) string {
		t.Helper()
		out, stderr, err := run(t, append(args, "--database", db)...)
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr)
		}
		return out
	}
	fails := func(want string, args ...string) string {
		t.Helper()
		out, stderr, err := run(t, append(args, "--database", db)...)
		if err == nil || !strings.Contains(err.Error()+stderr, want) {
			t.Fatalf("%s: got %v\n%s\n%s; want an error with %q", strings.Join(args, " "), err, out, stderr, want)
		}
		return stderr
	}
	must("migrate")
	must("demo", "--persons", "300")
	t.Setenv("DOST_USER_PASSWORD", "second-payroll-officer")
	must("user", "add", "--username", "payroll2", "--name", "Second Payroll Officer", "--role", "payroll")
	must("scan", "--local", "--quiet", "--shard-size", "100")
	period := time.Now().In(time.FixedZone("AZT", 4*60*60)).Format("2006-01")

	fails("not a month", "payroll", "prepare", "--period", "2026-13", "--local", "--as", "payroll")
	fails("--as is required", "payroll", "prepare", "--period", "2026-11", "--local")
	fails("--cycle is required", "payroll", "show")
	fails("not found", "payroll", "show", "--cycle", "999")
	fails("--payroll-debtor-iban", "payroll", "show", "--cycle", "1", "--payroll-debtor-iban", "AZ00XXXX")

	out := must("payroll", "prepare", "--period", period, "--local", "--as", "payroll")
	m := regexp.MustCompile(`payroll cycle (\d+): every programme, \S+ — prepared \(run 1\)\n  (\d+) payments`).FindStringSubmatch(out)
	if m == nil || m[2] == "0" {
		t.Fatalf("prepare:\n%s", out)
	}
	cycle := m[1]
	fails("conflict", "payroll", "export", "--cycle", cycle, "--out", t.TempDir())
	fails("prepared by you", "payroll", "approve", "--cycle", cycle, "--run", "1", "--as", "payroll")
	fails("--as USER is required", "payroll", "approve", "--cycle", cycle, "--run", "1")
	fails("--as \"nobody\"", "payroll", "approve", "--cycle", cycle, "--run", "1", "--as", "nobody")
	fails("forbidden", "payroll", "approve", "--cycle", cycle, "--run", "1", "--as", "supervisor")
	fails("--run R is required", "payroll", "approve", "--cycle", cycle, "--as", "payroll2")
	fails("prepared again since the preparation you reviewed", "payroll", "approve", "--cycle", cycle, "--run", "2", "--as", "payroll2")
	if out := must("payroll", "approve", "--cycle", cycle, "--run", "1", "--as", "payroll2"); !strings.Contains(out, "— approved") {
		t.Fatalf("approve:\n%s", out)
	}

	// One bank's file first: the same file the whole export writes.
	one := filepath.Join(t.TempDir(), "one")
	if out := must("payroll", "export", "--cycle", cycle, "--bank", "aiib", "--out", one); !strings.Contains(out, "AIIB") {
		t.Fatalf("export --bank:\n%s", out)
	}

	dir := filepath.Join(t.TempDir(), "out")
	out = must("payroll", "export", "--cycle", cycle, "--out", dir)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 2 {
		t.Fatalf("export wrote %v (%v):\n%s", files, err, out)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".xml") || !strings.Contains(out, f) {
			t.Errorf("file %s: not a finished bank file listed in the output", f)
		}
	}
	first, err := os.ReadFile(filepath.Join(one, "DOST-"+cycle+"-AIIB.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if whole, err := os.ReadFile(filepath.Join(dir, "DOST-"+cycle+"-AIIB.xml")); err != nil || !bytes.Equal(whole, first) {
		t.Errorf("AIIB's file of the whole export differs from the one exported alone (%v)", err)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is not installed (apt-get install -y libxml2-utils)")
	}
	if res, err := exec.Command("xmllint", append([]string{"--noout", "--schema", pain001Schema}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, res)
	}

	// A bad report: a clear error, a non-zero exit, nothing changed.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte("<Document>not a report"), 0o600); err != nil {
		t.Fatal(err)
	}
	fails("neither a pain.002 nor a camt.054", "payroll", "reconcile", "--cycle", cycle, "--file", bad)
	if stderr := fails("nothing was changed", "payroll", "reconcile", "--cycle", cycle, "--file", bad, "--kind", "pain.002"); !strings.Contains(stderr, "file.invalid") {
		t.Errorf("the problems are not listed:\n%s", stderr)
	}

	for i, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		report := filepath.Join(t.TempDir(), fmt.Sprintf("status-%d.xml", i))
		if err := os.WriteFile(report, statusReport(t, content), 0o600); err != nil {
			t.Fatal(err)
		}
		out = must("payroll", "reconcile", "--cycle", cycle, "--file", report)
		if !regexp.MustCompile(`import \d+ of pain\.002 .* \d+ paid, 1 failed, 0 returned, 0 pending`).MatchString(out) {
			t.Fatalf("reconcile:\n%s", out)
		}
		again := must("payroll", "reconcile", "--cycle", cycle, "--file", report)
		if strings.SplitN(again, " of ", 2)[0] != strings.SplitN(out, " of ", 2)[0] {
			t.Errorf("the same file again: %q, first %q", again, out)
		}
	}
	out = must("payroll", "show", "--cycle", cycle)
	if !strings.Contains(out, "— reconciled") || !strings.Contains(out, fmt.Sprintf("%d payments failed (correction list)", len(files))) {
		t.Fatalf("show:\n%s", out)
	}
}
