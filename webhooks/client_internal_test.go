package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestPublic(t *testing.T) {
	for a, want := range map[string]bool{
		"8.8.8.8": true, "2a00:1450:4001::1": true, "185.40.0.1": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "0.0.0.0": false, "::": false, "100.64.0.1": false, "fe80::1": false,
		"fc00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "224.0.0.1": false,
		"64:ff9b::7f00:1": false, "255.255.255.255": false,
		// 6to4 of loopback, private and public IPv4; Teredo; discard; site-local.
		"2002:7f00:1::1": false, "2002:a00:1::": false, "2002:c0a8:101::1": false, "2002:a9fe:a9fe::": false,
		"2002:808:808::1": true, "2001:0:4136:e378:8000:63bf:3fff:fdd2": false, "100::1": false, "fec0::1": false,
		"64:ff9b:1::a00:1": false,
	} {
		if got := public(netip.MustParseAddr(a)); got != want {
			t.Errorf("public(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	strict := &Client{}
	for u, want := range map[string]bool{
		"https://agency.example/hooks": true, "https://8.8.8.8/h": true,
		"http://agency.example/hooks": false, "https://127.0.0.1/h": false, "https://[::1]:8443/h": false,
		"https://localhost/h": false, "https://a.localhost/h": false, "https://LOCALHOST./h": false,
		"https://169.254.169.254/latest": false, "https://10.0.0.1/h": false,
	} {
		if got := strict.CheckURL(u) == nil; got != want {
			t.Errorf("CheckURL(%s) allowed %v, want %v", u, got, want)
		}
	}
	if err := (&Client{AllowPrivate: true}).CheckURL("http://127.0.0.1:1/h"); err != nil {
		t.Errorf("AllowPrivate: CheckURL = %v", err)
	}
}

// TestDialGuard connects to a loopback server through the strict client,
// past CheckURL (as a DNS name resolving to loopback would): the dialer
// refuses it.
func TestDialGuard(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
	_, err := (&Client{}).httpClient().Do(req)
	if !errors.Is(err, ErrPrivateAddress) || hits != 0 {
		t.Fatalf("strict client to %s: %v, %d requests; want ErrPrivateAddress and none", srv.URL, err, hits)
	}
	resp, err := (&Client{AllowPrivate: true}).httpClient().Do(req.Clone(context.Background()))
	if err != nil || hits != 1 {
		t.Fatalf("AllowPrivate client: %v, %d requests", err, hits)
	}
	resp.Body.Close()
}

func TestBackoff(t *testing.T) {
	for n, base := range backoff {
		for range 50 {
			if d := Backoff(n + 1); d < base*4/5 || d > base*6/5 {
				t.Fatalf("Backoff(%d) = %v, want %v ± 20 %%", n+1, d, base)
			}
		}
	}
	if d := Backoff(100); d < backoff[len(backoff)-1]*4/5 {
		t.Errorf("Backoff(100) = %v, want the last step", d)
	}
}
