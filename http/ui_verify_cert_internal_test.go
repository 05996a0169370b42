package http

import (
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// TestCertificateMessages checks that every message key the certificate
// handlers choose (kinds, statuses, "nothing awarded", parse errors) is in
// every language: the templates print them with {{t .Key}}, which
// TestMessages cannot follow.
func TestCertificateMessages(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"certs.error.invalid", "certs.verify.error.format", "certs.verify.error.empty"}
	for _, k := range dost.CertificateKinds {
		keys = append(keys, certKindKey(k), certAboutKey(k), certNoneKey(k))
	}
	for _, s := range []dost.CertificateStatus{dost.CertificateValid, dost.CertificateExpired} {
		keys = append(keys, certStatusKey(s))
	}
	for _, lang := range dost.Languages {
		for _, k := range keys {
			if _, ok := msgs[lang][k]; !ok {
				t.Errorf("certs.%s.json lacks %q", lang, k)
			}
		}
	}
}

func TestParseCertificateCode(t *testing.T) {
	for _, tt := range []struct{ in, code, err string }{
		{"FDE9-1176-K4NH-ASDY", "FDE9-1176-K4NH-ASDY", ""},
		{"  fde9 1176 k4nh asdy ", "FDE9-1176-K4NH-ASDY", ""},
		{"FDE91176K4NHASDY", "FDE9-1176-K4NH-ASDY", ""},
		{"oIL0-0000-0000-0000", "0110-0000-0000-0000", ""},
		{"", "", "certs.verify.error.empty"},
		{"   ", "", "certs.verify.error.empty"},
		{"FDE9-1176-K4NH-ASD", "", "certs.verify.error.format"},
		{"FDE9-1176-K4NH-ASDYX", "", "certs.verify.error.format"},
		{"FDE9-1176-K4NH-ASDU", "", "certs.verify.error.format"},
		{"<script>alert(1)</script>", "", "certs.verify.error.format"},
		{"'; DROP TABLE certificates; --", "", "certs.verify.error.format"},
		{strings.Repeat("A", 10000), "", "certs.verify.error.format"},
		{"ФDE9-1176-K4NH-ASDY", "", "certs.verify.error.format"},
	} {
		code, errKey := parseCertificateCode(tt.in)
		if code != tt.code || errKey != tt.err {
			t.Errorf("parseCertificateCode(%.40q) = %q, %q; want %q, %q", tt.in, code, errKey, tt.code, tt.err)
		}
	}
}

// FuzzParseCertificateCode checks that any input parses without panic to
// either a canonical code (19 characters, parsing to itself) or a message
// key, never both.
func FuzzParseCertificateCode(f *testing.F) {
	for _, s := range []string{"FDE9-1176-K4NH-ASDY", "fde9 1176 k4nh asdy", "", "-", "oooo-iiii-llll-0000", "\xff\xfe", pdf.CertificateCode()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, errKey := parseCertificateCode(s)
		if (code == "") == (errKey == "") {
			t.Fatalf("parseCertificateCode(%q) = %q, %q: want exactly one", s, code, errKey)
		}
		if code == "" {
			return
		}
		if len(code) != 19 {
			t.Fatalf("code %q of %q is not 19 characters", code, s)
		}
		if again, e := parseCertificateCode(code); again != code || e != "" {
			t.Fatalf("code %q parses to %q, %q; want itself", code, again, e)
		}
	})
}
