package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/internal/dosttest"
)

// countingPayroll is a payroll service whose ImportStatus reads the
// report to its end and answers how many bytes it had.
type countingPayroll struct {
	dost.PayrollService
}

func (countingPayroll) ImportStatus(_ context.Context, cycleID int64, kind dost.StatusImportKind, r io.Reader) (*dost.StatusImport, error) {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, err
	}
	return &dost.StatusImport{CycleID: cycleID, Kind: kind, Entries: int(n)}, nil
}

// pattern is an endless reader of XML-ish bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "<Ntry/>\n"[i%8]
	}
	return len(p), nil
}

// postReport sends n bytes as a pain.002 to cycle 7's imports, streamed
// (chunked), and returns the status and the body.
func postReport(t *testing.T, ts *dosttest.TestServer, n int64) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/payroll/cycles/7/imports?kind=pain.002", io.NopCloser(io.LimitReader(pattern{}, n)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.Token(dost.RolePayroll))
	req.Header.Set("Content-Type", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestAPIPayrollImportLimit checks the upload limit of a bank report: the
// default takes a million-entry camt.054, a server may set its own, and
// the body is streamed into the service, never held in memory.
func TestAPIPayrollImportLimit(t *testing.T) {
	if dosthttp.NewServer().MaxStatusFileBytes != 0 || dosthttp.DefaultMaxStatusFileBytes < 3<<29 {
		t.Fatalf("default limit %d: want at least 1.5 GiB, a million-entry camt.054", dosthttp.DefaultMaxStatusFileBytes)
	}
	const limit = 64 << 20
	ts := dosttest.NewServer(t, "sqlite", func(s *dosthttp.Server) {
		s.Payroll = countingPayroll{s.Payroll}
		s.MaxStatusFileBytes = limit
	})
	t.Run("Streamed", func(t *testing.T) {
		const n = limit - 1<<20
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		status, body := postReport(t, ts, n)
		runtime.ReadMemStats(&after)
		var imp dost.StatusImport
		if status != 200 || json.Unmarshal(body, &imp) != nil || imp.Entries != n {
			t.Fatalf("got %d %s; want 200 with the %d bytes read", status, body, n)
		}
		// Client and server together allocate far less than the file.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > n/4 {
			t.Errorf("%d MiB allocated for a %d MiB report: it was buffered", alloc>>20, n>>20)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		status, body := postReport(t, ts, limit+1)
		var p dosthttp.Problem
		if err := json.Unmarshal(body, &p); err != nil || status != 400 || len(p.Errors) != 1 || p.Errors[0].Code != "file.too_large" ||
			p.Errors[0].Message != "The file is larger than 64 MiB." {
			t.Fatalf("got %d %s; want 400 file.too_large naming 64 MiB", status, body)
		}
	})
}
