package http

import "testing"

func TestMaskLetterLinks(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"no link here", "no link here"},
		{"Check the decision letter: https://dost.example.az/verify/FDE9-1176-K4NH-ASDY",
			"Check the decision letter: https://dost.example.az/verify/FDE9-****-****-****"},
		{"See /verify/FDE9-1176-K4NH-ASDY. Or /verify/7k3mq9tx2bhdwf0e?x=1 and /verify/",
			"See /verify/FDE9-****-****-****. Or /verify/7k3m************?x=1 and /verify/"},
	} {
		if got := maskLetterLinks(tt.in); got != tt.want {
			t.Errorf("maskLetterLinks(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
