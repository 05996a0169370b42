package dosttest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/dost-az/dost/sqlstore"
)

// ibanPattern matches an Azerbaijani IBAN written out in full (28
// characters: AZ, check digits, bank code, account). A masked IBAN has
// stars in it and does not match.
var ibanPattern = regexp.MustCompile(`AZ[0-9]{2}[A-Z]{4}[0-9A-Z]{20}`)

// finPattern matches what may be a FIN: 7 upper-case letters and digits
// standing alone.
var finPattern = regexp.MustCompile(`[0-9A-Z]{7}`)

// LogLeaks returns the lines of logs that hold personal data in full: the
// FIN of a person in db, a person's full name (first and last name in
// either order, with or without the patronymic) or an IBAN. Logs must
// hold these only masked (dost.FIN.Masked and the like). It reads every
// person of db, so it is for test databases.
func LogLeaks(ctx context.Context, db *sqlstore.DB, logs string) ([]string, error) {
	fins := map[string]bool{}
	names := map[string]bool{} // "first last" and "last first", lower case
	rows, err := db.WriterDB().QueryContext(ctx, `SELECT fin, first_name, last_name FROM persons`)
	if err != nil {
		return nil, fmt.Errorf("log scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fin, first, last string
		if err := rows.Scan(&fin, &first, &last); err != nil {
			return nil, fmt.Errorf("log scan: %w", err)
		}
		fins[fin] = true
		if first != "" && last != "" {
			names[strings.ToLower(first+" "+last)] = true
			names[strings.ToLower(last+" "+first)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log scan: %w", err)
	}
	var leaks []string
	for line := range strings.Lines(logs) {
		if why := lineLeak(line, fins, names); why != "" {
			leaks = append(leaks, why+": "+strings.TrimSpace(line))
		}
	}
	return leaks, nil
}

// lineLeak says what personal data line holds in full, or "".
func lineLeak(line string, fins, names map[string]bool) string {
	if m := ibanPattern.FindString(line); m != "" {
		return "IBAN " + m
	}
	for _, loc := range finPattern.FindAllStringIndex(line, -1) {
		if fins[line[loc[0]:loc[1]]] && standsAlone(line, loc[0], loc[1]) {
			return "FIN " + line[loc[0]:loc[1]]
		}
	}
	words := strings.FieldsFunc(strings.ToLower(line), func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' })
	for i := 1; i < len(words); i++ {
		if pair := words[i-1] + " " + words[i]; names[pair] {
			return "name " + pair
		}
	}
	return ""
}

// standsAlone reports whether line[i:j] is not part of a longer run of
// letters and digits (a FIN inside a hash or an id is a coincidence).
func standsAlone(line string, i, j int) bool {
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
	return (i == 0 || !alnum(line[i-1])) && (j == len(line) || !alnum(line[j]))
}

// checkLogPrivacy fails t when the server's logs hold a full FIN, name or
// IBAN (LogLeaks); NewServer runs it when the test ends, after the server
// has stopped.
func (ts *TestServer) checkLogPrivacy(t testing.TB) {
	leaks, err := LogLeaks(context.Background(), ts.DB, ts.Logs.String())
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	for i, l := range leaks {
		if i == 5 {
			t.Errorf("… and %d more log lines with personal data", len(leaks)-i)
			break
		}
		if len(l) > 600 {
			l = l[:600] + "…"
		}
		t.Errorf("the logs hold personal data unmasked (%s)", l)
	}
}
