package iso20022_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
)

// genReader streams head, then entry(0) … entry(n-1), then tail, without
// holding the document in memory.
type genReader struct {
	head, tail string
	n, i       int
	entry      func(b []byte, i int) []byte
	buf        []byte
	done       bool
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.done:
			return 0, io.EOF
		case g.head != "":
			g.buf, g.head = append(g.buf[:0], g.head...), ""
		case g.i < g.n:
			b := g.buf[:0]
			for ; g.i < g.n && len(b) < 32<<10; g.i++ {
				b = g.entry(b, g.i)
			}
			g.buf = b
		default:
			g.buf, g.done = append(g.buf[:0], g.tail...), true
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

var txStatuses = []string{"ACSC", "ACSC", "ACSC", "RJCT", "ACSP", "PDNG"}

// pain002Gen returns a status report of n transactions.
func pain002Gen(n int) *genReader {
	return &genReader{
		head: `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>S-1</MsgId><CreDtTm>2026-11-26T09:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>DOST-2026-11-AIIB</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>TSSA-2026-11</OrgnlPmtInfId>
`,
		tail: "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n",
		n:    n,
		entry: func(b []byte, i int) []byte {
			sts := txStatuses[i%len(txStatuses)]
			b = fmt.Appendf(b, `<TxInfAndSts><OrgnlEndToEndId>P-%010d</OrgnlEndToEndId><TxSts>%s</TxSts>`, i, sts)
			if sts == "RJCT" {
				b = append(b, `<StsRsnInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>Wrong account</AddtlInf></StsRsnInf>`...)
			}
			return fmt.Appendf(b, `<OrgnlTxRef><Amt><InstdAmt Ccy="AZN">%d.%02d</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>`+"\n", 1+i%1000, i%100)
		},
	}
}

// camt054Gen returns a notification of n entries, each with one
// transaction; every tenth is a returned payment.
func camt054Gen(n int) *genReader {
	return &genReader{
		head: `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-11-27T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N-1-1</Id><Acct><Id><IBAN>AZ83AIIB40060019440000000001</IBAN></Id></Acct>
`,
		tail: "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n",
		n:    n,
		entry: func(b []byte, i int) []byte {
			cd, rtr := "DBIT", ""
			if i%10 == 9 {
				cd, rtr = "CRDT", `<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>`
			}
			return fmt.Appendf(b, `<Ntry><Amt Ccy="AZN">%[2]d.%02[3]d</Amt><CdtDbtInd>%[4]s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-26</Dt></BookgDt><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>`+
				`<NtryDtls><TxDtls><Refs><MsgId>DOST-2026-11-AIIB</MsgId><EndToEndId>P-%010[1]d</EndToEndId></Refs><Amt Ccy="AZN">%[2]d.%02[3]d</Amt>%[5]s</TxDtls></NtryDtls></Ntry>`+"\n",
				i, 1+i%1000, i%100, cd, rtr)
		},
	}
}

// countingWriter counts bytes written.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

const million = 1_000_000

func BenchmarkWritePain001(b *testing.B) {
	var size int64
	for b.Loop() {
		var c countingWriter
		if _, err := writeFile(&c, million, 250_000, payment); err != nil {
			b.Fatal(err)
		}
		size = c.n
	}
	b.SetBytes(size)
	b.ReportMetric(float64(size)/million, "bytes/payment")
}

func BenchmarkReadPain002(b *testing.B) {
	path := generate(b, pain002Gen(million))
	var size int64
	for b.Loop() {
		size = readFile(b, path, million, true)
	}
	b.SetBytes(size)
}

func BenchmarkReadCamt054(b *testing.B) {
	path := generate(b, camt054Gen(million))
	var size int64
	for b.Loop() {
		size = readFile(b, path, million, false)
	}
	b.SetBytes(size)
}

// generate writes a generated file to a temporary directory and returns its
// path, so that reads are timed without the generator.
func generate(tb testing.TB, g *genReader) string {
	path := filepath.Join(tb.TempDir(), "gen.xml")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(f, g); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// readFile reads a status report (pain002) or notification from path.
func readFile(tb testing.TB, path string, n int, pain002 bool) int64 {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	return readAll(tb, f, n, pain002)
}

// sizeReader counts the bytes read through it.
type sizeReader struct {
	r io.Reader
	n int64
}

func (s *sizeReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}

// readAll reads a generated status report (pain002) or notification and
// checks the count; it returns the file's size.
func readAll(tb testing.TB, r io.Reader, want int, pain002 bool) int64 {
	sr := &sizeReader{r: r}
	n := 0
	next := func() error { return nil }
	if pain002 {
		r, err := iso20022.NewStatusReportReader(sr)
		if err != nil {
			tb.Fatal(err)
		}
		next = func() error { _, err := r.Next(); return err }
	} else {
		r, err := iso20022.NewNotificationReader(sr)
		if err != nil {
			tb.Fatal(err)
		}
		next = func() error { _, err := r.Next(); return err }
	}
	for {
		err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if n != want {
		tb.Fatalf("read %d, want %d", n, want)
	}
	return sr.n
}

// TestLarge exports 1 million payments to a file and reads 1 million-entry
// pain.002 and camt.054 files, logging time and peak memory (VmHWM). It runs
// only with DOST_ISO20022_LARGE=1, one subtest per process for a clean
// peak, e.g.:
//
//	DOST_ISO20022_LARGE=1 go test -count=1 -run 'TestLarge/Export' -v ./iso20022/
func TestLarge(t *testing.T) {
	if os.Getenv("DOST_ISO20022_LARGE") == "" {
		t.Skip("set DOST_ISO20022_LARGE=1 to run the 1-million-payment export and reads")
	}
	t.Run("Export", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pain001.xml")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		start, cpu := time.Now(), cpuTime()
		total, err := writeFile(f, million, 250_000, payment)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		elapsed, cpu := time.Since(start), cpuTime()-cpu
		st, _ := os.Stat(path)
		t.Logf("pain.001: %d payments, %s AZN, %d MB in %v (CPU %v, %.0f MB/s); peak RSS %s", million, total, st.Size()>>20, elapsed.Round(time.Millisecond),
			cpu.Round(time.Millisecond), float64(st.Size())/(1<<20)/elapsed.Seconds(), peakRSS())
		checkExport(t, path, total)
	})
	t.Run("ReadPain002", func(t *testing.T) {
		path := generate(t, pain002Gen(million))
		start, cpu := time.Now(), cpuTime()
		size := readFile(t, path, million, true)
		t.Logf("pain.002: %d transactions, %d MB in %v (CPU %v); peak RSS %s", million, size>>20, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu).Round(time.Millisecond), peakRSS())
	})
	t.Run("ReadCamt054", func(t *testing.T) {
		path := generate(t, camt054Gen(million))
		start, cpu := time.Now(), cpuTime()
		size := readFile(t, path, million, false)
		t.Logf("camt.054: %d entries, %d MB in %v (CPU %v); peak RSS %s", million, size>>20, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu).Round(time.Millisecond), peakRSS())
	})
}

// checkExport counts the transactions of the exported file line by line
// (one CdtTrfTxInf per line) and sums their amounts.
func checkExport(t *testing.T, path string, total dost.Money) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	var sum dost.Money
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, "<CdtTrfTxInf>") {
			continue
		}
		_, rest, _ := strings.Cut(line, `<InstdAmt Ccy="AZN">`)
		amt, _, _ := strings.Cut(rest, "<")
		m, err := dost.ParseMoney(amt)
		if err != nil {
			t.Fatal(err)
		}
		sum += m
		n++
	}
	if n != million || sum != total {
		t.Fatalf("file has %d payments summing to %s, want %d and %s", n, sum, million, total)
	}
}

// peakRSS returns the process's peak resident set size from /proc.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + runtime.GOOS + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
