package webhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost/webhooks"
)

// The example of the Standard Webhooks specification's reference
// libraries (svix): this secret, id, timestamp and body sign to want.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(webhooks.HeaderID, id)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(webhooks.HeaderSignature, sig)
	return h
}

func TestSign(t *testing.T) {
	got, err := webhooks.Sign(specSecret, specID, time.Unix(specTS, 0), []byte(specBody))
	if err != nil || got != specSig {
		t.Fatalf("Sign = %q, %v; want %q", got, err, specSig)
	}
	if _, err := webhooks.Sign("whsec_not base64!", specID, time.Unix(specTS, 0), nil); !errors.Is(err, webhooks.ErrBadSecret) {
		t.Errorf("Sign with a bad secret = %v, want ErrBadSecret", err)
	}
	a, b := webhooks.NewSecret(), webhooks.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+44 {
		t.Errorf("NewSecret = %q, %q: want two different whsec_ + 32 bytes in base64", a, b)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(specTS, 0)
	other := webhooks.NewSecret()
	otherSig, _ := webhooks.Sign(other, specID, now, []byte(specBody))
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"OK", specSecret, headers(specID, specTS, specSig), specBody, now, nil},
		{"OKWithoutPrefix", strings.TrimPrefix(specSecret, "whsec_"), headers(specID, specTS, specSig), specBody, now, nil},
		{"OKAmongOthers", specSecret, headers(specID, specTS, "v2,abc "+otherSig+" "+specSig), specBody, now, nil},
		{"OKWithinTolerance", specSecret, headers(specID, specTS, specSig), specBody, now.Add(4 * time.Minute), nil},
		{"ErrBody", specSecret, headers(specID, specTS, specSig), `{"test": 2432232315}`, now, webhooks.ErrNoMatchingSign},
		{"ErrID", specSecret, headers("msg_other", specTS, specSig), specBody, now, webhooks.ErrNoMatchingSign},
		{"ErrOtherSecret", other, headers(specID, specTS, specSig), specBody, now, webhooks.ErrNoMatchingSign},
		{"ErrTimestampChanged", specSecret, headers(specID, specTS+1, specSig), specBody, now, webhooks.ErrNoMatchingSign},
		{"ErrVersion", specSecret, headers(specID, specTS, "v2"+specSig[2:]), specBody, now, webhooks.ErrNoMatchingSign},
		{"ErrOld", specSecret, headers(specID, specTS, specSig), specBody, now.Add(6 * time.Minute), webhooks.ErrTimestampTooOld},
		{"ErrFuture", specSecret, headers(specID, specTS, specSig), specBody, now.Add(-6 * time.Minute), webhooks.ErrTimestampTooNew},
		{"ErrNoID", specSecret, headers("", specTS, specSig), specBody, now, webhooks.ErrMissingHeaders},
		{"ErrNoSignature", specSecret, headers(specID, specTS, ""), specBody, now, webhooks.ErrMissingHeaders},
		{"ErrSecret", "whsec_%%%", headers(specID, specTS, specSig), specBody, now, webhooks.ErrBadSecret},
		{"ErrTimestamp", specSecret, func() http.Header {
			h := headers(specID, specTS, specSig)
			h.Set(webhooks.HeaderTimestamp, "1614265330.5")
			return h
		}(), specBody, now, webhooks.ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.Verify(tt.secret, tt.h, []byte(tt.body), tt.now, 0)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzVerify checks that Verify never panics on any headers and body,
// accepts a body signed with the secret, and refuses it once changed.
func FuzzVerify(f *testing.F) {
	f.Add(specID, strconv.Itoa(specTS), specSig, []byte(specBody), byte(0))
	f.Add("", "", "", []byte{}, byte(1))
	f.Add("msg_x", "-1", "v1,====", []byte("{}"), byte(2))
	f.Add("msg_x", "99999999999999999999", "v1 v1, v1,,", []byte("\x00"), byte(3))
	secret := specSecret
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, flip byte) {
		h := http.Header{}
		h.Set(webhooks.HeaderID, id)
		h.Set(webhooks.HeaderTimestamp, ts)
		h.Set(webhooks.HeaderSignature, sig)
		now := time.Unix(specTS, 0)
		_ = webhooks.Verify(secret, h, body, now, 0) // must not panic

		if id == "" || strings.ContainsAny(id, "\r\n") {
			return
		}
		good, err := webhooks.Sign(secret, id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h = headers(id, now.Unix(), good)
		if h.Get(webhooks.HeaderID) != id {
			return // a header value net/http would not keep as it is
		}
		if err := webhooks.Verify(secret, h, body, now, 0); err != nil {
			t.Fatalf("Verify of a signed message = %v", err)
		}
		changed := append([]byte{}, body...)
		if len(changed) == 0 {
			changed = append(changed, flip)
		} else {
			changed[int(flip)%len(changed)] ^= 1 | flip
		}
		if err := webhooks.Verify(secret, h, changed, now, 0); !errors.Is(err, webhooks.ErrNoMatchingSign) {
			t.Fatalf("Verify of a changed body = %v, want ErrNoMatchingSign", err)
		}
	})
}
