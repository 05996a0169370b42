package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/demo"
	"github.com/pion/turn/v4"
)

// TestServeVideoTURN starts `dost serve --demo --turn-addr …` in-process:
// the demo video centre takes a kiosk's video ticket, its call hands out
// the TURN server with credentials, and those credentials allocate a
// relay on the TURN server dost started, which relays to no loopback peer.
func TestServeVideoTURN(t *testing.T) {
	relay := serveTURNRelay(t, "--turn-secret", "a-turn-secret-for-the-test")
	// No open relay: by default the relay sends nothing to the host's
	// loopback (nor private networks).
	if relayReaches(t, relay) {
		t.Error("the relay sent to a 127.0.0.1 peer without --turn-allow-peer")
	}
}

// TestServeTURNAllowPeer: with --turn-allow-peer 127.0.0.0/8 the relay
// sends to a loopback peer. No --turn-secret is given: the secret is the
// database's (node_secrets), and the call's credentials allocate with it.
func TestServeTURNAllowPeer(t *testing.T) {
	t.Setenv("DOST_TURN_SECRET", "")
	relay := serveTURNRelay(t, "--turn-allow-peer", "127.0.0.0/8")
	if !relayReaches(t, relay) {
		t.Error("the relay did not send to a 127.0.0.1 peer with --turn-allow-peer 127.0.0.0/8")
	}
}

// relayReaches sends a datagram through relay to a UDP peer on loopback
// and reports whether the peer got it.
func relayReaches(t *testing.T, relay net.PacketConn) bool {
	t.Helper()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := relay.WriteTo([]byte("media"), peer.LocalAddr()); err != nil {
		return false
	}
	peer.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	n, _, err := peer.ReadFrom(buf)
	return err == nil && string(buf[:n]) == "media"
}

// serveTURNRelay runs `dost serve --demo --turn-…` (and extra flags),
// joins the video queue and allocates a relay on its TURN server with
// the credentials of the call, as a browser does.
func serveTURNRelay(t *testing.T, extra ...string) net.PacketConn {
	t.Helper()
	var out, logs bytes.Buffer
	m := main.NewMain(&out, &logs)
	m.Config = main.DefaultConfig()
	m.Config.Database = ""
	err := m.ParseFlags(context.Background(), append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--demo", "--demo-persons", "-1",
		"--turn-addr", "127.0.0.1:0", "--turn-public-ip", "127.0.0.1", "--stun", "stun:127.0.0.1:3478"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\nlogs: %s", err, logs.String())
	}
	t.Cleanup(func() { m.Close() })
	for _, want := range []string{"video-operator", "interpreter"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not mention the demo account %q:\n%s", want, out.String())
		}
	}
	base := m.HTTPServer.URL()

	resp, err := http.Post(base+"/api/v1/video/tickets", "application/json",
		strings.NewReader(`{"centre":"`+demo.CentreVideo+`","service":"`+demo.VideoCentre().Services[0]+`","language":"az"}`))
	if err != nil {
		t.Fatal(err)
	}
	var ticket struct{ Call string }
	json.NewDecoder(resp.Body).Decode(&ticket)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || ticket.Call == "" {
		t.Fatalf("join the video queue: got %d %+v", resp.StatusCode, ticket)
	}
	resp, err = http.Get(base + ticket.Call)
	if err != nil {
		t.Fatal(err)
	}
	var call struct {
		You        struct{ ID int64 }
		ICEServers []struct {
			URLs                 []string
			Username, Credential string
		} `json:"ice_servers"`
	}
	json.NewDecoder(resp.Body).Decode(&call)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(call.ICEServers) != 2 || call.ICEServers[0].URLs[0] != "stun:127.0.0.1:3478" {
		t.Fatalf("the call: got %d %+v, want the STUN and the TURN server", resp.StatusCode, call)
	}
	ts := call.ICEServers[1]
	addr, ok := strings.CutPrefix(ts.URLs[0], "turn:")
	addr, _, _ = strings.Cut(addr, "?")
	if !ok || !strings.HasSuffix(ts.Username, ":"+itoa(call.You.ID)) || ts.Credential == "" {
		t.Fatalf("TURN entry: %+v", ts)
	}

	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: ts.Username, Password: ts.Credential, Realm: "dost", RTO: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate with the call's credentials: %v", err)
	}
	t.Cleanup(func() { relay.Close() })
	return relay
}

// TestServeTURNFlags checks that the TURN server is refused without its
// public IP or with a secret given too short.
func TestServeTURNFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"NoPublicIP":   {"--turn-addr", "127.0.0.1:0", "--turn-secret", "a-turn-secret-for-the-test"},
		"ShortSecret":  {"--turn-addr", "127.0.0.1:0", "--turn-public-ip", "127.0.0.1", "--turn-secret", "short"},
		"BadSTUN":      {"--stun", "http://example.az"},
		"BadAllowPeer": {"--turn-allow-peer", "10.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("DOST_TURN_SECRET", "")
			var out, logs bytes.Buffer
			m := main.NewMain(&out, &logs)
			if err := m.ParseFlags(context.Background(), args); err == nil {
				t.Errorf("%v: got nil, want an error", args)
			}
		})
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
