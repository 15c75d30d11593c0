// Command netsink ships zap entries as RFC 5424 syslog messages to a
// collector over TCP, and restarts the collector halfway: the stream
// reports the lost connection and the failed dials, buffers meanwhile
// (Block: the producer waits), dials again when the collector is back, and
// the collector ends up with every entry, in order. Before the restart it
// waits until the connection has confirmed the first half (the collector's
// kernel acknowledged it a second ago), so that nothing is counted as
// possibly lost; stop the collector sooner and the unconfirmed entries show
// in lost_bytes, delivered or not. The collector is a small Go listener in
// the same program, so nothing needs installing.
//
//	go run ./examples/netsink
//	go run ./examples/netsink -entries 20000 -framing octet
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

func main() {
	entries := flag.Int("entries", 5000, "entries to log")
	framing := flag.String("framing", "rfc5424", "lines, octet, rfc5424 or rfc3164")
	down := flag.Duration("down", 300*time.Millisecond, "how long the collector stays down")
	flag.Parse()
	if err := run(*entries, netsink.Framing(*framing), *down); err != nil {
		fmt.Fprintln(os.Stderr, "netsink:", err)
		os.Exit(1)
	}
}

func run(entries int, framing netsink.Framing, down time.Duration) error {
	col, err := startCollector("127.0.0.1:0", framing)
	if err != nil {
		return err
	}
	addr := col.ln.Addr().String() // the restart listens here again
	fmt.Printf("collector listening on %s, framing %s\n", addr, framing)

	cfg := netsink.Config{
		Address:      addr,
		Framing:      framing,
		Facility:     "local0",
		AppName:      "demo",
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 200 * time.Millisecond,
		// Block is the default policy; the stream checks the connection
		// once per flush interval.
		Config: logsink.Config{BufferSize: 64 << 10, FlushInterval: 50 * time.Millisecond},
	}
	conn, err := netsink.NewConn(cfg) // NewConn rather than Open, to read its Stats
	if err != nil {
		return err
	}
	var errMu sync.Mutex
	errCount := 0
	s := logsink.New(conn, append(cfg.Options(), logsink.OnError(func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if errCount++; errCount <= 3 {
			fmt.Println("  OnError:", err)
		}
	}))...)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel))

	half := entries / 2
	for i := range half {
		logger.Info("request served", zap.Int("n", i), zap.String("path", "/api/items"))
	}
	if err := s.Flush(); err != nil {
		return err
	}
	col.waitFor(half)
	confirmStart := time.Now()
	for conn.Stats().Unconfirmed > 0 && time.Since(confirmStart) < 10*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("first half delivered: %d entries, confirmed in %s; stopping the collector for %s\n",
		col.count(), time.Since(confirmStart).Round(100*time.Millisecond), down)
	col.stop()

	restarted := make(chan error, 1)
	go func() {
		time.Sleep(down) // the outage
		restarted <- col.listen(addr)
	}()
	start := time.Now()
	for i := half; i < entries; i++ {
		logger.Info("request served", zap.Int("n", i), zap.String("path", "/api/items"))
	}
	fmt.Printf("second half logged in %s (Block waited for the collector)\n", time.Since(start).Round(10*time.Millisecond))
	if err := <-restarted; err != nil {
		return fmt.Errorf("restart the collector: %w", err)
	}
	if err := s.Close(); err != nil {
		return err
	}
	col.waitFor(entries)
	col.stop()

	inOrder := col.inOrder()
	fmt.Printf("collector received %d of %d entries, in order: %v\n", col.count(), entries, inOrder)
	fmt.Printf("first message: %s\n", col.first)
	fmt.Printf("stream: %s\n", s.Stats())
	fmt.Printf("conn:   %s\n", conn.Stats())
	errMu.Lock()
	fmt.Printf("OnError fired %d times\n", errCount)
	errMu.Unlock()
	return nil
}

// collector counts the entries it receives, across restarts.
type collector struct {
	framing netsink.Framing
	ln      net.Listener
	wg      sync.WaitGroup

	mu    sync.Mutex
	cond  *sync.Cond
	conns []net.Conn
	ns    []int  // entry numbers, in arrival order
	first string // the first message, as received
}

func startCollector(addr string, framing netsink.Framing) (*collector, error) {
	c := &collector{framing: framing}
	c.cond = sync.NewCond(&c.mu)
	return c, c.listen(addr)
}

// listen starts (or, after stop, restarts) the collector at addr.
func (c *collector) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ln = ln
	c.mu.Unlock()
	c.wg.Add(1)
	go c.accept()
	return nil
}

func (c *collector) accept() {
	defer c.wg.Done()
	c.mu.Lock()
	ln := c.ln
	c.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		c.conns = append(c.conns, nc)
		c.mu.Unlock()
		c.wg.Add(1)
		go c.read(nc)
	}
}

// read parses the frames of one connection until the sender's end of
// stream, then closes it, as collectors do: that is how the sender's Close
// learns that everything was read.
func (c *collector) read(nc net.Conn) {
	defer c.wg.Done()
	defer nc.Close()
	r := bufio.NewReader(nc)
	for {
		msg, err := c.next(r)
		if err != nil {
			return
		}
		c.add(msg)
	}
}

// next reads one message: octet counted for octet and rfc5424, a line for
// lines and rfc3164.
func (c *collector) next(r *bufio.Reader) (string, error) {
	if c.framing == netsink.Octet || c.framing == netsink.RFC5424 {
		var n int
		if _, err := fmt.Fscanf(r, "%d ", &n); err != nil {
			return "", err
		}
		buf := make([]byte, n)
		_, err := io.ReadFull(r, buf)
		return string(buf), err
	}
	line, err := r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

func (c *collector) add(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first == "" {
		c.first = msg
	}
	if i := strings.Index(msg, `"n":`); i >= 0 {
		rest := msg[i+4:]
		if j := strings.IndexAny(rest, ",}"); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil {
				c.ns = append(c.ns, n)
			}
		}
	}
	c.cond.Broadcast()
}

func (c *collector) waitFor(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.ns) < n {
		c.cond.Wait()
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ns)
}

func (c *collector) inOrder() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.ns {
		if n != i {
			return false
		}
	}
	return true
}

// stop closes the listener and every connection, as a collector that
// exits does, and waits for its goroutines.
func (c *collector) stop() {
	c.mu.Lock()
	if c.ln != nil {
		_ = c.ln.Close()
	}
	for _, nc := range c.conns {
		_ = nc.Close()
	}
	c.conns = nil
	c.mu.Unlock()
	c.wg.Wait()
}
