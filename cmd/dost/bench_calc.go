package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/programmes/az"
)

// benchCalcFamily is the situation of "dost bench calc": a family of four
// for the Azerbaijani rules (a pensioner, his wife with a disability and an
// income, a registered unemployed son, a child born in the period), asking
// for the published outputs of 2026-11 — the body the wrk runs
// posted.
const benchCalcFamily = `{
 "persons": {
  "ali":   {"birth_date": {"ETERNITY": "1955-01-15"}, "sex": {"ETERNITY": "male"}, "insurance_years": {"2026-11": 30},
            "pension_capital": {"2026-11": 30000}, "old_age_pension": {"2026-11": null}, "retirement_age_reached": {"2026-11": null}},
  "leyla": {"birth_date": {"ETERNITY": "1970-03-01"}, "sex": {"ETERNITY": "female"}, "disability_degree": {"2026-11": 2},
            "monthly_income": {"2026-10": 150}, "disability_allowance": {"2026-11": null}},
  "murad": {"birth_date": {"ETERNITY": "1999-06-01"}, "sex": {"ETERNITY": "male"}, "average_monthly_wage": {"2026-11": 600},
            "insurance_months_last_24": {"2026-11": 20}, "dismissal_reason": {"2026-11": "staff_cut"},
            "registered_unemployed": {"2026-11": true}, "unemployment_benefit": {"2026-11": null}},
  "nigar": {"birth_date": {"ETERNITY": "2026-11-03"}, "birth_allowance": {"2026-11": null}}
 },
 "households": {"h1": {"members": ["ali", "leyla", "murad", "nigar"], "roles": {"leyla": "spouse", "murad": "child", "nigar": "child"},
  "tssa_average_monthly_income": {"2026-11": null}, "tssa_eligible": {"2026-11": null}, "tssa_amount": {"2026-11": null}}}
}`

// benchCalc measures POST /api/v1/calculate for one family (issue 3's
// target: at least 10,000 requests/s on this machine): the real HTTP server
// with the Azerbaijani rule set on loopback, the public rate limit off, and
// conns keep-alive clients in this process posting benchCalcFamily for d.
// The calculator reads no database. The clients share the CPUs with the
// server, as wrk on the same machine would.
func benchCalc(ctx context.Context, c Config, d time.Duration, conns int, stdout io.Writer) error {
	rs, err := az.RuleSet()
	if err != nil {
		return err
	}
	s := dosthttp.NewServer()
	s.Addr = "127.0.0.1:0"
	s.Logger = c.logger(io.Discard)
	s.RuleSet = rs
	s.PublicLimit = dosthttp.RateLimit{} // as serve --public-rate 0
	if err := s.Open(); err != nil {
		return err
	}
	defer s.Close()
	url := s.URL() + "/api/v1/calculate"
	body := []byte(benchCalcFamily)

	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	post := func() (time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("POST /api/v1/calculate: status %d", resp.StatusCode)
		}
		return time.Since(t0), err
	}
	if _, err := post(); err != nil { // the situation must be accepted before it is timed
		return err
	}

	deadline := time.Now().Add(d)
	var mu sync.Mutex // guards lat, errs
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1<<15)
			bad := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				el, err := post()
				if err != nil {
					bad++
					continue
				}
				local = append(local, el)
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	var p50, p99 time.Duration
	if len(lat) > 0 {
		p50 = lat[len(lat)/2].Round(10 * time.Microsecond)
		p99 = lat[len(lat)*99/100].Round(10 * time.Microsecond)
	}
	fmt.Fprintf(stdout, "calc: POST /api/v1/calculate, a family of four (Azerbaijani rules), %d connections, %s: %d requests, %.0f req/s, p50 %s, p99 %s, errors %d\n",
		conns, d, len(lat), float64(len(lat))/d.Seconds(), p50, p99, errs)
	return nil
}
