package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/dost-az/dost/hall"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/video"
)

// videoNode is the node's service by video: the signalling hub (always,
// relayed over PostgreSQL's LISTEN/NOTIFY on PostgreSQL) and the TURN
// server, off unless --turn-addr is given.
type videoNode struct {
	turnAddr     string       // --turn-addr, e.g. "0.0.0.0:3478"
	turnPublicIP string       // --turn-public-ip
	turnSecret   string       // --turn-secret or DOST_TURN_SECRET
	turnURL      string       // --turn-url
	stun         []string     // --stun, repeatable
	allowPeers   []*net.IPNet // --turn-allow-peer, repeatable

	turn  *video.TURNServer
	relay *video.PGRelay
	hub   *video.Hub
}

// bindFlags adds the --turn-* and --stun flags.
func (n *videoNode) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&n.turnAddr, "turn-addr", os.Getenv("DOST_TURN_ADDR"),
		"UDP address of the built-in TURN server that relays video calls' media, e.g. 0.0.0.0:3478; empty: no TURN server (DOST_TURN_ADDR)")
	fs.StringVar(&n.turnPublicIP, "turn-public-ip", os.Getenv("DOST_TURN_PUBLIC_IP"),
		"the IP address browsers reach the TURN server at; required with --turn-addr (DOST_TURN_PUBLIC_IP)")
	fs.StringVar(&n.turnSecret, "turn-secret", "",
		"shared secret of the TURN server's short-lived credentials, at least 16 characters; default: a random one kept in the database, the same for every node (DOST_TURN_SECRET; give it when an external TURN server must know it)")
	fs.StringVar(&n.turnURL, "turn-url", os.Getenv("DOST_TURN_URL"),
		"the TURN URL handed to browsers (default turn:<public-ip>:<port>?transport=udp) (DOST_TURN_URL)")
	fs.Func("turn-allow-peer", "a network (CIDR) the TURN relay may send to although it is loopback, private or link-local, "+
		"e.g. 10.20.0.0/16 for browsers on the LAN; repeatable; by default the relay sends to public addresses only", func(v string) error {
		_, network, err := net.ParseCIDR(v)
		if err != nil {
			return fmt.Errorf("--turn-allow-peer takes a network such as 10.20.0.0/16, not %q", v)
		}
		n.allowPeers = append(n.allowPeers, network)
		return nil
	})
	fs.Func("stun", "a STUN URL handed to browsers with each call, e.g. stun:stun.example.az:3478; repeatable", func(s string) error {
		if !strings.HasPrefix(s, "stun:") && !strings.HasPrefix(s, "stuns:") {
			return fmt.Errorf("a STUN URL starts with stun: or stuns:, not %q", s)
		}
		n.stun = append(n.stun, s)
		return nil
	})
}

// validate checks the TURN flags: with --turn-addr, a public IP and, if
// one is given (the flag or DOST_TURN_SECRET), a secret of at least 16
// characters; without one wireVideo takes the database's (node_secrets).
func (n *videoNode) validate() error {
	if n.turnSecret == "" {
		n.turnSecret = os.Getenv("DOST_TURN_SECRET")
	}
	if n.turnAddr == "" {
		return nil
	}
	if net.ParseIP(n.turnPublicIP) == nil {
		return errors.New("--turn-addr needs --turn-public-ip, the IP address browsers reach the TURN server at")
	}
	if n.turnSecret != "" && len(n.turnSecret) < 16 {
		return errors.New("--turn-addr needs --turn-secret (or DOST_TURN_SECRET) of at least 16 characters")
	}
	return nil
}

// wireVideo gives s the video routes: the calls' store, the hub (with the
// PostgreSQL relay on PostgreSQL) and, with --turn-addr, the TURN server,
// which it starts.
func (m *Main) wireVideo(s *dosthttp.Server) error {
	n := &m.video
	n.hub = video.NewHub()
	if isPostgres(m.Config.DSN()) {
		n.relay = video.NewPGRelay(m.Config.DSN())
		n.hub.Relay = n.relay
	}
	store := sqlstore.NewVideoStore(m.DB)
	if hs, ok := s.Hall.(*hall.Service); ok && m.BaseURL != "" {
		// The rating SMS of a portal citizen's call, to their registry
		// phone (a window's finish sends it only for bookings); without
		// --base-url none (see ratingSMS).
		store.RatingSMS = hs.RatingSMS
	}
	vc := &dosthttp.VideoConfig{Service: store, Hub: n.hub, STUN: n.stun}
	if n.turnAddr != "" {
		if n.turnSecret == "" { // one secret for every node on this database
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			key, err := m.DB.Secret(ctx, "turn", 32)
			cancel()
			if err != nil {
				return fmt.Errorf("TURN secret: %w", err)
			}
			n.turnSecret = hex.EncodeToString(key)
		}
		t, err := video.StartTURN(video.TURNConfig{Addr: n.turnAddr, PublicIP: net.ParseIP(n.turnPublicIP),
			Secret: n.turnSecret, URL: n.turnURL, AllowPeers: n.allowPeers, Logger: m.logger})
		if err != nil {
			return err
		}
		n.turn, vc.TURN = t, t
		if m.logger != nil {
			m.logger.Info("TURN server listening", "addr", t.Addr().String(), "public_ip", n.turnPublicIP)
		}
	}
	s.Video = vc
	return nil
}

// close waits for the hub's connections to end (the HTTP server's
// shutdown closed them), then stops the TURN server and the relay's
// connection.
func (n *videoNode) close() error {
	var first error
	if n.hub != nil {
		n.hub.Close()
	}
	if n.turn != nil {
		first = n.turn.Close()
		n.turn = nil
	}
	if n.relay != nil {
		if err := n.relay.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
