package hall

import (
	"testing"

	"github.com/dost-az/dost"
)

// FuzzCancelByCode feeds a cancellation's typed fields (as the page and
// the API take them) to Validate and the second-factor check against a
// booking: no panic, and a match only on the booking's FIN or on the nine
// digits of its phone.
func FuzzCancelByCode(f *testing.F) {
	f.Add("ABCD2345", "+994 50 123 45 67", "")
	f.Add("abcd2345", "050-123-45-67", "5abcdef")
	f.Add("", "", "5ABCDEF")
	f.Add("X", "501234567", "\x00")
	f.Add("ABCD2345", "1234567", "")
	a := &dost.Appointment{Code: "ABCD2345", Phone: "+994 50 123 45 67", FIN: "5ABCDEF"}
	f.Fuzz(func(t *testing.T, code, phone, fin string) {
		r := &dost.CancelByCode{Code: code, Phone: phone, FIN: dost.FIN(fin)}
		if err := r.Validate(); err != nil && dost.ErrorCode(err) != dost.EINVALID {
			t.Fatalf("Validate: got %v, want nil or EINVALID", err)
		}
		if secondFactor(a, r) && r.FIN != a.FIN && phoneDigits(r.Phone) != "501234567" {
			t.Fatalf("phone %q, FIN %q matched the booking's %q, %q", phone, fin, a.Phone, a.FIN)
		}
		if secondFactor(&dost.Appointment{Phone: "12"}, &dost.CancelByCode{Phone: phone}) {
			t.Fatalf("phone %q matched a booking's phone of 2 digits", phone)
		}
	})
}

func TestPhoneDigits(t *testing.T) {
	for in, want := range map[string]string{"+994 50 123 45 67": "501234567", "050-123-45-67": "501234567", "12": "12", "": "", "tel": ""} {
		if got := phoneDigits(in); got != want {
			t.Errorf("phoneDigits(%q): got %q, want %q", in, got, want)
		}
	}
}
