package video

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v4"
)

// Realm is the TURN server's realm.
const Realm = "dost"

// CredentialTTL is how long the TURN credentials handed out with a call
// stay valid: long enough for a visit, short enough that a leaked one is
// soon worthless.
const CredentialTTL = 2 * time.Hour

// ICEServer is one entry of RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Credentials returns the TURN REST convention's ephemeral credentials for
// participant, valid until expiry: username "<expiry-unix>:<participant>",
// credential base64(HMAC-SHA1(secret, username)). coturn's
// use-auth-secret and pion's LongTermTURNRESTAuthHandler check the same.
func Credentials(secret, participant string, expiry time.Time) (username, credential string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + participant
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TURNConfig configures the TURN server `dost serve --turn-addr` starts.
type TURNConfig struct {
	// Addr is the UDP address to listen on, e.g. "0.0.0.0:3478".
	Addr string
	// PublicIP is the address the relayed candidates carry: the host's
	// address as the browsers reach it.
	PublicIP net.IP
	// RelayAddr is the local address relay sockets bind to; default
	// "0.0.0.0".
	RelayAddr string
	// Secret is the shared secret of the credentials (Credentials).
	Secret string
	// URL is the TURN URL handed to browsers; default
	// "turn:<PublicIP>:<port>?transport=udp".
	URL string
	// AllowPeers are networks the relay may send to although they are
	// refused by default (see PeerAllowed): loopback, private,
	// link-local, ... e.g. 10.0.0.0/8 for a deployment whose browsers
	// sit on the LAN. None by default.
	AllowPeers []*net.IPNet
	// MaxAllocations is how many allocations one username (one
	// participant's credentials) may hold at once; DefaultMaxAllocations
	// if 0.
	MaxAllocations int
	// Logger receives pion's log lines (warnings and errors at Warn, the
	// rest at Debug); slog.Default() if nil.
	Logger *slog.Logger
}

// DefaultMaxAllocations is TURNConfig.MaxAllocations' default: a browser
// makes one allocation per ICE candidate gathering (one per peer
// connection, a few again on an ICE restart).
const DefaultMaxAllocations = 10

// refusedPeers are the networks no relay sends to unless allowed, besides
// those net.IP's predicates name: "this network" (0/8), carrier-grade NAT
// (100.64/10), IETF protocol assignments (192.0.0/24), benchmarking
// (198.18/15), broadcast, the local-use NAT64 prefix and IPv6
// discard-only.
var refusedPeers = func() []*net.IPNet {
	var out []*net.IPNet
	for _, c := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "255.255.255.255/32", "64:ff9b:1::/48", "100::/64"} {
		_, n, _ := net.ParseCIDR(c)
		out = append(out, n)
	}
	return out
}()

// PeerAllowed reports whether a relay of the server may send to ip:
// never to loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
// link-local (169.254/16 with the clouds' metadata services, fe80::/10),
// unspecified, multicast or broadcast addresses, carrier-grade NAT, nor
// to the server's own addresses (own) — unless ip is in one of allow.
// An open relay would let anyone with a ticket send UDP from the dost
// host into its internal network.
func PeerAllowed(ip net.IP, own []net.IP, allow []*net.IPNet) bool {
	if ip == nil {
		return false
	}
	for _, n := range allow {
		if n.Contains(ip) {
			return true
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, n := range refusedPeers {
		if n.Contains(ip) {
			return false
		}
	}
	for _, o := range own {
		if o.Equal(ip) {
			return false
		}
	}
	return true
}

// TURNServer is a running TURN server (pion/turn) that authenticates
// allocations with the TURN REST convention's credentials over Secret.
type TURNServer struct {
	cfg    TURNConfig
	conn   net.PacketConn
	server *turn.Server
}

// StartTURN starts a TURN server on cfg.Addr. Close stops it.
func StartTURN(cfg TURNConfig) (*TURNServer, error) {
	if cfg.Secret == "" {
		return nil, errors.New("turn: a secret is required")
	}
	if cfg.PublicIP == nil {
		return nil, errors.New("turn: a public IP is required")
	}
	if cfg.RelayAddr == "" {
		cfg.RelayAddr = "0.0.0.0"
	}
	conn, err := net.ListenPacket("udp4", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("turn: listen: %w", err)
	}
	if cfg.URL == "" {
		port := conn.LocalAddr().(*net.UDPAddr).Port
		cfg.URL = "turn:" + net.JoinHostPort(cfg.PublicIP.String(), strconv.Itoa(port)) + "?transport=udp"
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = DefaultMaxAllocations
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	own := []net.IP{cfg.PublicIP}
	if ip := conn.LocalAddr().(*net.UDPAddr).IP; !ip.IsUnspecified() {
		own = append(own, ip)
	}
	if ip := net.ParseIP(cfg.RelayAddr); ip != nil && !ip.IsUnspecified() {
		own = append(own, ip)
	}
	allow := cfg.AllowPeers
	logs := slogFactory{cfg.Logger}
	q := &quota{max: cfg.MaxAllocations, n: map[string]int{}}
	s, err := turn.NewServer(turn.ServerConfig{
		Realm:         Realm,
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(cfg.Secret, logs.NewLogger("turn-auth")),
		LoggerFactory: logs,
		QuotaHandler:  q.allow,
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, username, _ string, _ net.Addr, _ int) { q.add(username, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, username, _ string) { q.add(username, -1) },
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: cfg.PublicIP, Address: cfg.RelayAddr},
			PermissionHandler: func(client net.Addr, peer net.IP) bool {
				if PeerAllowed(peer, own, allow) {
					return true
				}
				cfg.Logger.Warn("turn: relay to a refused peer", "peer", peer.String(), "client", client.String())
				return false
			},
		}},
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	return &TURNServer{cfg: cfg, conn: conn, server: s}, nil
}

// Addr returns the UDP address the server listens on.
func (t *TURNServer) Addr() net.Addr { return t.conn.LocalAddr() }

// ICEServer returns the iceServers entry of this TURN server with fresh
// credentials for participant, valid for CredentialTTL from now.
func (t *TURNServer) ICEServer(participant string, now time.Time) ICEServer {
	u, c := Credentials(t.cfg.Secret, participant, now.Add(CredentialTTL))
	return ICEServer{URLs: []string{t.cfg.URL}, Username: u, Credential: c}
}

// Close stops the server and its allocations.
func (t *TURNServer) Close() error { return t.server.Close() }

// quota counts the allocations of each username (TURNConfig.MaxAllocations).
type quota struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// allow is the server's QuotaHandler: false (486 Allocation Quota
// Reached) once username holds max allocations.
func (q *quota) allow(username, _ string, _ net.Addr) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n[username] < q.max
}

// add counts an allocation of username created (+1) or deleted (-1).
func (q *quota) add(username string, d int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n[username] += d; q.n[username] <= 0 {
		delete(q.n, username)
	}
}

// slogFactory hands pion's loggers that write to a slog.Logger: warnings
// and errors (e.g. a refused credential) at Warn, the rest at Debug, so
// that pion writes nothing to stderr of its own.
type slogFactory struct{ l *slog.Logger }

// NewLogger implements logging.LoggerFactory.
func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("scope", "pion/"+scope)}
}

// slogLogger is one scope's pion logger.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Trace(msg string)                  {}
func (l slogLogger) Tracef(format string, args ...any) {}
func (l slogLogger) Debug(msg string)                  { l.l.Debug(msg) }
func (l slogLogger) Debugf(format string, args ...any) { l.l.Debug(fmt.Sprintf(format, args...)) }
func (l slogLogger) Info(msg string)                   { l.l.Debug(msg) }
func (l slogLogger) Infof(format string, args ...any)  { l.l.Debug(fmt.Sprintf(format, args...)) }
func (l slogLogger) Warn(msg string)                   { l.l.Warn(msg) }
func (l slogLogger) Warnf(format string, args ...any)  { l.l.Warn(fmt.Sprintf(format, args...)) }
func (l slogLogger) Error(msg string)                  { l.l.Warn(msg) }
func (l slogLogger) Errorf(format string, args ...any) { l.l.Warn(fmt.Sprintf(format, args...)) }
