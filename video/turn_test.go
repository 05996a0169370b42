package video_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost/video"
	"github.com/pion/turn/v4"
)

const testSecret = "a-test-secret-of-32-characters!!"

// startTURN starts a TURN server on loopback for the test, which may
// relay to loopback peers (the test's) when allowLoopback.
func startTURN(t *testing.T, allowLoopback bool) *video.TURNServer {
	t.Helper()
	return startTURNConfig(t, video.TURNConfig{AllowPeers: loopbackIf(allowLoopback)})
}

// loopbackIf returns 127.0.0.0/8 when allow, else nothing.
func loopbackIf(allow bool) []*net.IPNet {
	if !allow {
		return nil
	}
	_, n, _ := net.ParseCIDR("127.0.0.0/8")
	return []*net.IPNet{n}
}

// startTURNConfig starts a TURN server on loopback with cfg's peers and
// quota.
func startTURNConfig(t *testing.T, cfg video.TURNConfig) *video.TURNServer {
	t.Helper()
	cfg.Addr, cfg.PublicIP, cfg.RelayAddr, cfg.Secret = "127.0.0.1:0", net.ParseIP("127.0.0.1"), "127.0.0.1", testSecret
	s, err := video.StartTURN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// allocate asks the server for a relay with the credentials, as a browser
// does, and returns the relayed connection or the error.
func allocate(t *testing.T, s *video.TURNServer, username, credential string) (net.PacketConn, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: s.Addr().String(), TURNServerAddr: s.Addr().String(),
		Conn: conn, Username: username, Password: credential, Realm: video.Realm, RTO: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	return c.Allocate()
}

// TestCredentials checks the TURN REST convention: username
// "<expiry>:<participant>", credential base64(HMAC-SHA1(secret, username)).
func TestCredentials(t *testing.T) {
	exp := time.Unix(1800000000, 0)
	u, c := video.Credentials("s3cret", "17", exp)
	m := hmac.New(sha1.New, []byte("s3cret"))
	m.Write([]byte("1800000000:17"))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); u != "1800000000:17" || c != want {
		t.Errorf("got %q %q, want 1800000000:17 %q", u, c, want)
	}
}

// TestTURN allocates a relay through the server with the credentials
// dost hands out and relays a datagram through it to a peer; wrong,
// forged and expired credentials are refused.
func TestTURN(t *testing.T) {
	s := startTURN(t, true)
	ice := s.ICEServer("42", time.Now())
	if len(ice.URLs) != 1 || ice.URLs[0] != "turn:"+s.Addr().String()+"?transport=udp" || !strings.HasSuffix(ice.Username, ":42") {
		t.Fatalf("ice server: %+v", ice)
	}

	t.Run("OK", func(t *testing.T) {
		relay, err := allocate(t, s, ice.Username, ice.Credential)
		if err != nil {
			t.Fatalf("allocate with valid credentials: %v", err)
		}
		defer relay.Close()
		peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer peer.Close()
		if _, err := relay.WriteTo([]byte("media"), peer.LocalAddr()); err != nil {
			t.Fatalf("write through the relay: %v", err)
		}
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, from, err := peer.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "media" || from.String() != relay.LocalAddr().String() {
			t.Fatalf("peer got %q from %v (%v), want media from the relay %v", buf[:n], from, err, relay.LocalAddr())
		}
	})
	refused := map[string][2]string{}
	refused["WrongCredential"] = [2]string{ice.Username, ice.Credential[:len(ice.Credential)-4] + "AAA="}
	refused["OtherSecret"] = func() [2]string {
		u, c := video.Credentials("another-secret-of-32-characters!", "42", time.Now().Add(time.Hour))
		return [2]string{u, c}
	}()
	refused["Expired"] = func() [2]string {
		u, c := video.Credentials(testSecret, "42", time.Now().Add(-time.Minute))
		return [2]string{u, c}
	}()
	refused["ForgedExpiry"] = [2]string{"9999999999:42", ice.Credential}
	for name, cred := range refused {
		t.Run(name, func(t *testing.T) {
			if relay, err := allocate(t, s, cred[0], cred[1]); err == nil {
				relay.Close()
				t.Errorf("allocate with %s credentials: got a relay, want a refusal", name)
			}
		})
	}
}

// relayTo allocates on s with fresh credentials and sends a datagram
// through the relay to a UDP peer on loopback; it reports whether the
// peer got it.
func relayTo(t *testing.T, s *video.TURNServer, participant string) bool {
	t.Helper()
	ice := s.ICEServer(participant, time.Now())
	relay, err := allocate(t, s, ice.Username, ice.Credential)
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	defer relay.Close()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := relay.WriteTo([]byte("media"), peer.LocalAddr()); err != nil {
		return false // the permission was refused
	}
	peer.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, _, err := peer.ReadFrom(buf)
	return err == nil && string(buf[:n]) == "media"
}

// TestTURN_PeerPermission: by default the relay sends nothing to
// loopback (nor private, link-local, ... networks: no open relay into
// the host's network); with the network allowed (--turn-allow-peer
// 127.0.0.0/8) it does.
func TestTURN_PeerPermission(t *testing.T) {
	if relayTo(t, startTURN(t, false), "7") {
		t.Error("relayed to 127.0.0.1 by default, want refused")
	}
	if !relayTo(t, startTURN(t, true), "8") {
		t.Error("did not relay to 127.0.0.1 with 127.0.0.0/8 allowed")
	}
}

// TestPeerAllowed checks the peers a relay may send to.
func TestPeerAllowed(t *testing.T) {
	_, lan, _ := net.ParseCIDR("10.1.0.0/16")
	own := []net.IP{net.ParseIP("203.0.113.10")}
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "198.51.100.7": true,
		"127.0.0.1": false, "::1": false, "10.0.0.5": false, "172.16.3.4": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"224.0.0.1": false, "ff02::1": false, "255.255.255.255": false, "100.64.1.1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "203.0.113.10": false,
		"10.1.2.3": false,
	} {
		if got := video.PeerAllowed(net.ParseIP(ip), own, nil); got != want {
			t.Errorf("PeerAllowed(%s) = %v, want %v", ip, got, want)
		}
	}
	if !video.PeerAllowed(net.ParseIP("10.1.2.3"), own, []*net.IPNet{lan}) {
		t.Error("10.1.2.3 refused with 10.1.0.0/16 allowed")
	}
	if video.PeerAllowed(net.ParseIP("10.2.0.1"), own, []*net.IPNet{lan}) {
		t.Error("10.2.0.1 allowed with only 10.1.0.0/16 allowed")
	}
}

// TestTURN_Quota: one username holds at most MaxAllocations allocations
// at once; another username is not affected.
func TestTURN_Quota(t *testing.T) {
	s := startTURNConfig(t, video.TURNConfig{MaxAllocations: 2})
	ice := s.ICEServer("9", time.Now())
	for i := range 2 {
		relay, err := allocate(t, s, ice.Username, ice.Credential)
		if err != nil {
			t.Fatalf("allocation %d: %v", i+1, err)
		}
		t.Cleanup(func() { relay.Close() })
	}
	if relay, err := allocate(t, s, ice.Username, ice.Credential); err == nil {
		relay.Close()
		t.Error("a third allocation of one username: got a relay, want 486 quota reached")
	}
	other := s.ICEServer("10", time.Now())
	relay, err := allocate(t, s, other.Username, other.Credential)
	if err != nil {
		t.Fatalf("another username's allocation: %v", err)
	}
	relay.Close()
}
