package netsink_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/netsink"
)

// waitLimit bounds every wait for an event from the network or another
// process; the tests end as soon as the event happens.
const waitLimit = 30 * time.Second

// collector is a stand-in log collector: a listener that records what each
// connection sent. It can stop reading (hold) and reset a connection after
// a number of bytes.
type collector struct {
	t       *testing.T
	ln      net.Listener
	tlsConf *tls.Config
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	peers   []*peer
	gate    chan struct{} // while not nil, readers wait for it to close
	resetAt int           // if > 0, the first connection is reset after this many bytes
	changed chan struct{} // closed and replaced at every change
}

type peer struct {
	nc   net.Conn
	data []byte
	eof  bool
}

type collectorOption func(*collector, *net.ListenConfig)

// withTLS makes the collector a TLS server.
func withTLS(conf *tls.Config) collectorOption {
	return func(c *collector, _ *net.ListenConfig) { c.tlsConf = conf }
}

// newCollector listens on loopback (tcp) or on a socket in a temp dir
// (unix) and records every connection until the test ends.
func newCollector(t *testing.T, network string, opts ...collectorOption) *collector {
	t.Helper()
	c := &collector{t: t, stop: make(chan struct{}), changed: make(chan struct{})}
	var lc net.ListenConfig
	for _, opt := range opts {
		opt(c, &lc)
	}
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "collector.sock")
	}
	ln, err := lc.Listen(t.Context(), network, addr)
	require.NoError(t, err, "listen %s", network)
	c.ln = ln
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(c.close)
	return c
}

func (c *collector) addr() string { return c.ln.Addr().String() }

func (c *collector) accept() {
	defer c.wg.Done()
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			return
		}
		if c.tlsConf != nil {
			nc = tls.Server(nc, c.tlsConf)
		}
		p := &peer{nc: nc}
		c.mu.Lock()
		first := len(c.peers) == 0
		c.peers = append(c.peers, p)
		c.notifyLocked()
		c.mu.Unlock()
		c.wg.Add(1)
		go c.read(p, first)
	}
}

func (c *collector) read(p *peer, first bool) {
	defer c.wg.Done()
	defer p.nc.Close()
	buf := make([]byte, 32<<10)
	for {
		c.mu.Lock()
		gate, limit := c.gate, len(buf)
		if first && c.resetAt > 0 {
			limit = min(limit, c.resetAt-len(p.data))
		}
		c.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
				continue
			case <-c.stop:
				return
			}
		}
		if limit <= 0 {
			// Reset: unread bytes are discarded, the sender gets ECONNRESET.
			if tc, ok := p.nc.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.finish(p)
			return
		}
		n, err := p.nc.Read(buf[:limit])
		c.mu.Lock()
		p.data = append(p.data, buf[:n]...)
		c.notifyLocked()
		c.mu.Unlock()
		if err != nil {
			c.finish(p)
			return
		}
	}
}

func (c *collector) finish(p *peer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p.eof = true
	c.notifyLocked()
}

func (c *collector) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// hold makes the readers stop reading until release.
func (c *collector) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate == nil {
		c.gate = make(chan struct{})
	}
}

func (c *collector) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gate != nil {
		close(c.gate)
		c.gate = nil
	}
}

// resetFirstAfter resets the first connection once it has read n bytes.
func (c *collector) resetFirstAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetAt = n
}

// closeConns closes every connection from the collector's side, as a
// collector that restarts would.
func (c *collector) closeConns() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		_ = p.nc.Close()
	}
}

// resetConns resets every connection (RST), as a collector that dies with
// unread data does: what it had not read is discarded.
func (c *collector) resetConns() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		if tc, ok := p.nc.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = p.nc.Close()
	}
}

// received returns what each connection has sent so far, in accept order.
func (c *collector) received() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([][]byte, len(c.peers))
	for i, p := range c.peers {
		out[i] = bytes.Clone(p.data)
	}
	return out
}

// all returns everything received, in accept order.
func (c *collector) all() []byte { return bytes.Join(c.received(), nil) }

// wait blocks until cond holds for what was received, or fails the test
// after waitLimit.
func (c *collector) wait(desc string, cond func(conns [][]byte, eof []bool) bool) {
	c.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		conns := make([][]byte, len(c.peers))
		eof := make([]bool, len(c.peers))
		for i, p := range c.peers {
			conns[i], eof[i] = bytes.Clone(p.data), p.eof
		}
		changed := c.changed
		c.mu.Unlock()
		if cond(conns, eof) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("collector: gave up waiting for %s; received %d connections", desc, len(conns))
		}
	}
}

// waitEOF waits until n connections have been closed by the sender.
func (c *collector) waitEOF(n int) {
	c.t.Helper()
	c.wait(fmt.Sprintf("%d connections closed", n), func(_ [][]byte, eof []bool) bool {
		closed := 0
		for _, e := range eof {
			if e {
				closed++
			}
		}
		return closed >= n
	})
}

func (c *collector) close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	_ = c.ln.Close()
	c.closeConns()
	c.wg.Wait()
}

// entry returns entry number n: a JSON line of about 100 bytes.
func entry(n int) []byte {
	return fmt.Appendf(nil, `{"level":"info","msg":"entry","n":%d,"pad":"%s"}`+"\n", n, strings.Repeat("x", 50))
}

// entryNumber parses an entry's number, or returns -1 if the text is not
// a whole entry.
func entryNumber(s string) int {
	var e struct {
		N   *int   `json:"n"`
		Pad string `json:"pad"`
	}
	if err := json.Unmarshal([]byte(s), &e); err != nil || e.N == nil || len(e.Pad) != 50 {
		return -1
	}
	if string(entry(*e.N)) != s+"\n" {
		return -1
	}
	return *e.N
}

// lines splits b into complete lines, without their newlines; a last line
// without a newline is left out.
func lines(b []byte) []string {
	parts := strings.SplitAfter(string(b), "\n")
	var out []string
	for _, p := range parts {
		if strings.HasSuffix(p, "\n") {
			out = append(out, strings.TrimSuffix(p, "\n"))
		}
	}
	return out
}

// octetFrames splits b into RFC 6587 octet-counted frames; an incomplete
// last frame is left out. Malformed framing fails the test.
func octetFrames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			break
		}
		n, err := strconv.Atoi(string(b[:sp]))
		require.NoError(t, err, "octet count in %q", b[:min(len(b), 20)])
		if len(b) < sp+1+n {
			break
		}
		out = append(out, string(b[sp+1:sp+1+n]))
		b = b[sp+1+n:]
	}
	return out
}

// numbers parses the entry numbers of frames; a torn entry fails the test.
func numbers(t *testing.T, frames []string) []int {
	t.Helper()
	out := make([]int, len(frames))
	for i, f := range frames {
		out[i] = entryNumber(f)
		require.GreaterOrEqual(t, out[i], 0, "frame %d is a whole entry: %q", i, f)
	}
	return out
}

// refusedAddr returns a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen")
	addr := ln.Addr().String()
	require.NoError(t, ln.Close(), "close listener")
	return addr
}

// errorLog collects the errors a stream reports through OnError and
// signals each one.
type errorLog struct {
	mu   sync.Mutex
	errs []error
	ch   chan error
}

func newErrorLog() *errorLog { return &errorLog{ch: make(chan error, 1<<16)} }

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
	select {
	case l.ch <- err:
	default:
	}
}

// next waits for the next reported error.
func (l *errorLog) next(t *testing.T) error {
	t.Helper()
	select {
	case err := <-l.ch:
		return err
	case <-time.After(waitLimit):
		t.Fatal("no error reported")
		return nil
	}
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// assertSeq checks that got is from, from+1, ..., to-1, and describes the
// first difference briefly.
func assertSeq(t *testing.T, from, to int, got []int, msgAndArgs ...any) bool {
	t.Helper()
	for i, n := range got {
		if n != from+i {
			return assert.Fail(t, fmt.Sprintf("entry %d is %d, want %d (%d entries, want %d to %d)", i, n, from+i, len(got), from, to-1), msgAndArgs...)
		}
	}
	if len(got) != to-from {
		return assert.Fail(t, fmt.Sprintf("%d entries, want %d: %d to %d", len(got), to-from, from, to-1), msgAndArgs...)
	}
	return true
}

// confirmTick is the flush interval of tests that wait for a Conn to
// confirm delivery: the stream checks the connection once per tick.
const confirmTick = 10 * time.Millisecond

// waitConfirmed waits until the collector has been shown to have every
// entry written to conn (Stats().Unconfirmed is zero): the collector has
// read them and its kernel has said so, in an acknowledgement or the
// answer to a keep-alive probe, seen at the stream's next tick.
func waitConfirmed(t *testing.T, conn interface{ Stats() netsink.Stats }) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for conn.Stats().Unconfirmed > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("delivery not confirmed within %s: %+v", waitLimit, conn.Stats())
		}
		time.Sleep(time.Millisecond) // polling a counter the flusher updates
	}
}
