package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// pprofServer is `dost serve --pprof-addr`: Go's profiling endpoints
// (net/http/pprof, /debug/pprof/…) on a listener of their own, apart
// from dost's routes, for `dost bench load --cpuprofile-dir` and for an
// operator chasing a slow node. Off by default. The endpoints are not
// authenticated: give a loopback address (127.0.0.1:6060), never a
// public one.
type pprofServer struct {
	addr string
	srv  *http.Server
}

// bindFlags adds --pprof-addr.
func (p *pprofServer) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&p.addr, "pprof-addr", os.Getenv("DOST_PPROF_ADDR"), "serve Go's profiling endpoints (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; unauthenticated, keep it on loopback; off by default (DOST_PPROF_ADDR)")
}

// start listens on the address, if one was given, and prints it as
// "dost pprof is on http://ADDR/debug/pprof/".
func (p *pprofServer) start(stdout io.Writer, logger *slog.Logger) error {
	if p.addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("pprof: listen on %s: %w", p.addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p.srv = &http.Server{Handler: mux}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("pprof server", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "dost pprof is on http://%s/debug/pprof/\n", ln.Addr())
	return nil
}

// close stops the listener (a profile being taken is cut short).
func (p *pprofServer) close() error {
	if p.srv == nil {
		return nil
	}
	return p.srv.Close()
}
