// Package crashtest holds dost's crash-safety tests: a real `dost serve`
// under load, killed with SIGKILL at random moments and restarted, its
// disk filled, its PostgreSQL taken away and given back; and the small
// helpers they need (a TCP proxy that can cut a node off its database).
//
// The tests are in crashtest_test.go and its siblings; RELIABILITY.md says
// how to run them.
package crashtest

import (
	"errors"
	"io"
	"net"
	"sync"
)

// Proxy is a TCP proxy between a node and its database that a test can
// cut: Cut closes every connection and stops listening, so that new ones
// are refused at once (the database "went away"); Restore listens again on
// the same address. It is safe for concurrent use.
type Proxy struct {
	// Target is the address connections are forwarded to, host:port.
	Target string

	mu    sync.Mutex // mu guards ln, conns and addr
	addr  string
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to target listening on a free loopback port.
func NewProxy(target string) (*Proxy, error) {
	p := &Proxy{Target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	if err := p.Restore(); err != nil {
		return nil, err
	}
	return p, nil
}

// Addr is the proxy's listening address, host:port; it stays the same
// across Cut and Restore.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Restore listens again after Cut; on a listening proxy it does nothing.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Add(1)
	go p.accept(ln)
	return nil
}

// Cut stops listening and closes every open connection, both ways.
func (p *Proxy) Cut() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Close cuts the proxy and waits for its goroutines to end.
func (p *Proxy) Close() error {
	p.Cut()
	p.wg.Wait()
	return nil
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// track adds c to the open connections, or closes it and reports false
// when the proxy was cut meanwhile.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.Target)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}
