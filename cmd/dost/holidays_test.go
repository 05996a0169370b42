package main_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
)

// TestServeWarnsMissingHolidays: `dost serve` on a new database (the
// fixed holidays only) warns that this year's and next year's moving
// holidays are to be entered; once they are, it does not.
func TestServeWarnsMissingHolidays(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	serve := func() string {
		t.Helper()
		var out, logs bytes.Buffer
		m := main.NewMain(&out, &logs)
		m.Config = main.DefaultConfig()
		m.Config.Database = ""
		if err := m.ParseFlags(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--jobs=false"}); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(ctx); err != nil {
			t.Fatalf("run: %v\nlogs: %s", err, logs.String())
		}
		// Enter this year's and next year's moving holidays for the next
		// start.
		y := time.Now().In(dost.Baku).Year()
		for _, d := range []string{strconv.Itoa(y) + "-05-27", strconv.Itoa(y+1) + "-03-10"} {
			h := dost.Holiday{Date: dost.MustDate(d), Name: dost.Text{AZ: "Bayram", EN: "Bayram", RU: "Байрам"}}
			if err := m.HTTPServer.HolidayService.SetHoliday(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	y := time.Now().In(dost.Baku).Year()
	first := serve()
	if !strings.Contains(first, "no moving holidays") || !strings.Contains(first, strconv.Itoa(y)+", "+strconv.Itoa(y+1)) {
		t.Errorf("the first start does not warn of %d and %d:\n%s", y, y+1, first)
	}
	if second := serve(); strings.Contains(second, "no moving holidays") {
		t.Errorf("the start after the holidays were entered still warns:\n%s", second)
	}
}
