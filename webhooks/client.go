package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
)

// DefaultTimeout bounds one POST: connecting, sending and the receiver's
// answer. A receiver should answer at once and work later.
const DefaultTimeout = 10 * time.Second

// ErrPrivateAddress is the error of a connection, or a subscription URL,
// to an address that is not public (loopback, private, link-local,
// unspecified, multicast, carrier-grade NAT...) while Client.AllowPrivate
// is off.
var ErrPrivateAddress = errors.New("webhooks: the address is not public")

// Client POSTs signed deliveries. The zero value is ready: public
// addresses over https only, DefaultTimeout, no redirect followed (a 3xx
// is a failed attempt, as the address to call is the subscription's).
type Client struct {
	// AllowPrivate allows plain http and addresses that are not public
	// (a receiver on the agency's own network, or on loopback in tests and
	// the demo). Off, a subscription may reach only https on public
	// addresses: checked when it is created (literal addresses and
	// "localhost") and again at each connection, after DNS, so a name that
	// resolves to an inner address later is refused too.
	AllowPrivate bool
	// Timeout bounds one POST; DefaultTimeout if 0.
	Timeout time.Duration
	// Transport replaces the default transport (for tests); its dialer is
	// then the caller's and the address check is not made at connection.
	Transport http.RoundTripper

	once   sync.Once
	client *http.Client
}

// CheckURL returns nil if rawURL is one this client may POST to, as far
// as can be told without DNS: https (or http when AllowPrivate), and a
// host that is not a non-public literal address or "localhost".
func (c *Client) CheckURL(rawURL string) error {
	if c.AllowPrivate {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: only https URLs are allowed", ErrPrivateAddress)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ErrPrivateAddress
	}
	if a, err := netip.ParseAddr(host); err == nil && !public(a) {
		return ErrPrivateAddress
	}
	return nil
}

// public reports whether a is an address on the public internet.
func public(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	if sixToFour.Contains(a) {
		// 6to4 reaches the IPv4 address in bytes 2 to 5 through a relay.
		b := a.As16()
		return public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return true
}

// sixToFour is 6to4 (RFC 3056): public only if its embedded IPv4 is.
var sixToFour = netip.MustParsePrefix("2002::/16")

// nonPublic are ranges the netip predicates do not cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 of any IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001::/32"),      // Teredo: the IPv4 it reaches is obfuscated
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated, still routed inside some sites)
	netip.MustParsePrefix("2001:db8::/32"),
}

// httpClient returns the client, built once.
func (c *Client) httpClient() *http.Client {
	c.once.Do(c.build)
	return c.client
}

func (c *Client) build() {
	t := c.Transport
	if t == nil {
		d := &net.Dialer{Timeout: 5 * time.Second}
		if !c.AllowPrivate {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil || !public(ap.Addr()) {
					return ErrPrivateAddress
				}
				return nil
			}
		}
		t = &http.Transport{
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: c.timeout(),
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			// No proxy from the environment: the address check is the
			// receiver's, not a proxy's.
		}
	}
	c.client = &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Post sends claim cl at now: the payload signed with the subscription's
// secret. It returns the receiver's status code (0 without an answer) and
// nil for a 2xx answer, else an error of one line that names the status
// and the start of the answer, or the network's error. It never follows
// a redirect. Post is safe for concurrent use; build the Client first.
func (c *Client) Post(ctx context.Context, cl *Claim, now time.Time) (int, error) {
	d := cl.Delivery
	id := d.MessageID()
	sig, err := Sign(cl.Secret, id, now, d.Payload)
	if err != nil {
		return 0, err
	}
	if err := c.CheckURL(cl.URL); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dost-webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if errors.Is(err, ErrPrivateAddress) {
			return 0, ErrPrivateAddress
		}
		// Not the *url.Error itself: it quotes the URL, whose query may
		// hold the receiver's token, into the logs and last_error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, fmt.Errorf("webhook receiver: %s: %s", resp.Status, printable(answer))
}

// printable returns b as one line of printable text.
func printable(b []byte) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(string(b), "?")))
}
