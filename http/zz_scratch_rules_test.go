package http_test

import (
	"io"
	"strings"
	"testing"

	"github.com/dost-az/dost"
)

func TestScratch(t *testing.T) {
	ts := newRulesServer(t)
	for _, p := range []string{"/rules/try?explain=old_age_pension&lang=en&p1.birth_date=1958-03-01&p1.insured_years=30&p1.sex=female&period=2026-11&run=1", "/rules/try?explain=tssa_amount&lang=en&p1.salary=100&p2.role=spouse&p3.role=child&period=2026-11&run=1"} {
		resp, _ := ts.Client(dost.RoleOperator).Get(ts.URL + p)
		b, _ := io.ReadAll(resp.Body)
		s := string(b)
		i := strings.Index(s, "Results for")
		if i < 0 {
			i = 0
		}
		t.Log(s[i:min(len(s), i+5000)])
	}
}
