package netsink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

// chunkSize is how many bytes of frames Conn gathers into one write on a
// stream transport.
const chunkSize = 64 << 10

// A Conn is a destination for a logsink.Stream that sends entries to a log
// collector over tcp, udp, unix or unixgram, each entry framed on its own,
// and that dials again when the connection is lost. It starts no goroutine.
//
// WriteEntries takes entries with their ends, as a stream hands them over
// (Write takes entries separated by newlines), and returns the number of bytes of whole entries it delivered to the
// connection; on failure it returns a *ConnError for the stream to report
// and retry. See the package documentation for the guarantees.
//
// A Conn is safe for concurrent use; Close interrupts a Write in progress.
type Conn struct {
	network, address string
	datagram         bool
	tlsConf          *tls.Config
	dialFn           func(ctx context.Context, network, address string) (net.Conn, error)
	clock            zapcore.Clock
	dialTimeout      time.Duration
	writeTimeout     time.Duration
	backoffMin       time.Duration
	backoffMax       time.Duration

	ctx       context.Context // cancelled by Close, to interrupt a dial
	cancel    context.CancelFunc
	closing   atomic.Bool
	busy      atomic.Int32 // Writes in progress
	live      atomic.Pointer[liveConn]
	closeOnce sync.Once
	st        counters
	lostFn    func(n int)   // logsink.Binding.Lost, once bound
	closeWait time.Duration // how long Close waits for the collector to confirm

	mu        sync.Mutex
	f         framer
	nc        net.Conn // nil when not connected
	delivered bool     // nc has delivered an entry
	stuck     bool     // nc's last write timed out
	failures  int      // consecutive failed dials (and connections that delivered nothing)
	nextDial  time.Time
	// lastDialErr is the error of the last failed dial since the last
	// connection was made, for the waits that follow it to carry.
	lastDialErr error
	partial     partial // a frame a timed-out write left half written on nc
	wire        []byte
	spans       []span
	ends        []int // the entry ends WriteEntries was given, during the call
	led         ledger
	lastWrite   time.Time // when the last entry was written whole

	// Under Block on plain TCP, frames the collector's kernel has not
	// acknowledged are kept (unacked, from wire offset unackedStart on the
	// connection, whose bytes_acked started at ackBase), so that a lost
	// connection's unacknowledged tail goes again (resend).
	resendOn     bool
	unacked      backlog
	unackedStart uint64
	ackBase      uint64
	resend       backlog
}

var (
	_ logsink.EntryWriter = (*Conn)(nil)
	_ logsink.Follower    = (*Conn)(nil)
	_ logsink.Binder      = (*Conn)(nil)
)

type liveConn struct{ net.Conn }

// partial is the rest of a frame that a timed-out write left unfinished:
// the next Write finishes it on the same connection, if the stream hands
// the same entry over again, so that no entry is torn.
type partial struct {
	entry []byte // the entry as the stream gave it
	frame []byte // empty when no frame is half written
	off   int    // bytes of frame already written
}

func (p *partial) active() bool { return len(p.frame) > 0 }

// reset forgets the frame, keeping the slices for reuse.
func (p *partial) reset() { *p = partial{entry: p.entry[:0], frame: p.frame[:0]} }

// span is one entry of a chunk: where it ends in p and in the wire bytes.
type span struct{ p, w int }

// NewConn validates cfg and returns a Conn for it. It does not dial: the
// first Write does. Use it directly to read the Conn's Stats:
//
//	conn, err := netsink.NewConn(cfg)
//	if err != nil {
//		return err
//	}
//	s := logsink.New(conn, cfg.Options()...)
//	defer s.Close() // closes conn
//	... conn.Stats().Reconnects ...
func NewConn(cfg Config) (*Conn, error) {
	tlsConf, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Conn{
		network:      cfg.Proto,
		address:      cfg.Address,
		datagram:     isDatagram(cfg.Proto),
		tlsConf:      tlsConf,
		dialFn:       cfg.Dial,
		clock:        cfg.Clock,
		dialTimeout:  cfg.DialTimeout,
		writeTimeout: cfg.WriteTimeout,
		backoffMin:   cfg.ReconnectMin,
		backoffMax:   cfg.ReconnectMax,
		closeWait:    logsink.DefaultCloseTimeout,
	}
	if c.dialFn == nil {
		c.dialFn = (&net.Dialer{}).DialContext
	}
	sev, _ := severityOf([]byte(cfg.Severity))
	c.f = framer{
		framing:  cfg.Framing,
		stream:   !c.datagram,
		max:      max(int(cfg.MaxMessageSize), 0), // NoMessageLimit is -1
		facility: facilities[cfg.Facility],
		severity: sev,
		levelPat: []byte(`"` + cfg.LevelKey + `":"`),
		clock:    cfg.Clock,
	}
	switch cfg.Framing {
	case RFC5424:
		c.f.static = []byte(" " + cfg.Hostname + " " + cfg.AppName + " " + cfg.ProcID + " " + cfg.MsgID + " - ")
	case RFC3164:
		c.f.static = []byte(" " + cfg.Hostname + " " + cfg.AppName + "[" + cfg.ProcID + "]: ")
	}
	c.resendOn = cfg.Policy == logsink.Block && tlsConf == nil && strings.HasPrefix(cfg.Proto, "tcp")
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Write sends the entries in p, each up to and including a newline (bytes
// after the last newline are one more entry), framed one by one. Empty
// entries are skipped. Write cannot know where entries end, so every
// newline ends a message: an entry with a newline inside becomes two
// messages. A stream in front of the Conn calls WriteEntries instead, with
// each entry's end, and an entry stays one message.
//
// It returns the number of bytes of p, up to the end of the last entry
// whose frame was written whole; on failure the rest is for the next
// Write. If there is no connection it dials first, unless the next dial is
// not due yet. Errors are *ConnError, except ErrClosed after Close.
func (c *Conn) Write(p []byte) (int, error) {
	return c.WriteEntries(p, nil)
}

// WriteEntries is Write with the end offset in p of each entry, for
// logsink.EntryWriter: entries are split where ends says, not at newlines.
// Ends that do not fit p (logsink.CheckEnds) are refused with an error
// wrapping logsink.ErrBadEnds and nothing written, for the stream to count
// the batch as lost.
func (c *Conn) WriteEntries(p []byte, ends []int) (int, error) {
	if ends != nil {
		if err := logsink.CheckEnds(p, ends); err != nil {
			return 0, err
		}
	}
	c.busy.Add(1)
	defer c.busy.Add(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ends = ends
	defer func() { c.ends = nil }()
	if c.closing.Load() {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.nc != nil && !c.datagram {
		if err := c.checkPeer(); err != nil {
			return 0, c.lost("write", err)
		}
		c.settle()
	}
	if c.nc == nil {
		if err := c.connect(); err != nil {
			return 0, err
		}
	}
	if c.datagram {
		return c.writeDatagrams(p)
	}
	return c.writeStream(p)
}

// writeStream writes p's frames in chunks on a stream connection.
func (c *Conn) writeStream(p []byte) (int, error) {
	if c.resend.pending() {
		if err := c.writeResend(); err != nil {
			return 0, err
		}
	}
	done := 0
	if c.partial.active() {
		if !bytes.HasPrefix(p, c.partial.entry) {
			// The stream gave up on that entry: the half frame cannot be
			// finished, so the connection cannot carry another.
			return 0, c.lost("write", errors.New("netsink: entry cut short by a write timeout was not written again"))
		}
		n, err := c.writeWire(c.partial.frame[c.partial.off:])
		c.partial.off += n
		if err != nil {
			return 0, c.writeFailed(err)
		}
		done = len(c.partial.entry)
		c.entryWritten(c.partial.frame, done)
		c.partial.reset()
	}
	for done < len(p) {
		c.wire, c.spans = c.wire[:0], c.spans[:0]
		for i := done; i < len(p) && len(c.wire) < chunkSize; {
			e := c.entryEnd(p, i)
			if msg := trimEntry(p[i:e]); len(msg) > 0 {
				var truncated bool
				c.wire, truncated = c.f.appendFrame(c.wire, msg)
				if truncated {
					c.st.truncated.Add(1)
				}
			}
			c.spans = append(c.spans, span{p: e, w: len(c.wire)})
			i = e
		}
		if len(c.wire) == 0 { // only empty entries
			done = c.spans[len(c.spans)-1].p
			continue
		}
		n, err := c.writeWire(c.wire)
		start := 0 // where the first frame not yet counted starts
		var torn *span
		for i, s := range c.spans {
			if s.w > n {
				torn = &c.spans[i]
				break
			}
			if s.w > start {
				c.entryWritten(c.wire[start:s.w], s.p-done)
			}
			start, done = s.w, s.p
		}
		if err == nil {
			continue
		}
		if torn != nil && n > start {
			c.partial = partial{
				entry: append(c.partial.entry[:0], p[done:torn.p]...),
				frame: append(c.partial.frame[:0], c.wire[start:torn.w]...),
				off:   n - start,
			}
		}
		return done, c.writeFailed(err)
	}
	return done, nil
}

// writeDatagrams sends each of p's entries as one datagram.
func (c *Conn) writeDatagrams(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		e := c.entryEnd(p, done)
		msg := trimEntry(p[done:e])
		if len(msg) == 0 {
			done = e
			continue
		}
		var truncated bool
		c.wire, truncated = c.f.appendFrame(c.wire[:0], msg)
		if truncated {
			c.st.truncated.Add(1)
		}
		_, err := c.writeWire(c.wire)
		switch {
		case err == nil:
			c.entryWritten(nil, e-done)
		case errors.Is(err, syscall.EMSGSIZE):
			// It would fail again on every try, and the connection is
			// fine: drop it and count it as lost, not as a failure of the
			// connection that the stream would retry.
			c.st.oversize.Add(1)
			c.st.lostEntries.Add(1)
			c.st.lostBytes.Add(uint64(e - done))
			if c.lostFn != nil {
				c.lostFn(e - done)
			}
		default:
			return done, c.writeFailed(err)
		}
		done = e
	}
	return done, nil
}

// writeWire writes b with the write timeout.
func (c *Conn) writeWire(b []byte) (int, error) {
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return 0, err
	}
	n, err := c.nc.Write(b)
	c.st.bytes.Add(uint64(n))
	if err == nil {
		c.stuck = false
	}
	return n, err
}

// writeFailed handles a failed write: a timeout on a plain connection keeps
// the connection (and any half-written frame, for the next Write to
// finish); anything else loses it.
func (c *Conn) writeFailed(err error) error {
	if c.closing.Load() {
		return ErrClosed
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && c.tlsConf == nil {
		c.stuck = true
		c.st.writeErrors.Add(1)
		return c.connError("write", err, 0)
	}
	return c.lost("write", err)
}

// lost closes the connection after a failed write or when the peer closed
// it. The entries written to it and not confirmed are counted as possibly
// lost. A half-written frame is given up: its entry is sent again whole on
// the next connection. The next Write dials at once if the connection had
// delivered entries, after a backoff if not.
func (c *Conn) lost(op string, err error) error {
	c.st.writeErrors.Add(1)
	c.st.disconnects.Add(1)
	if c.partial.active() {
		c.st.resent.Add(1)
		c.partial.reset()
	}
	c.takeUnacked()
	entries, bytes := c.forfeit()
	c.closeConn()
	var wait time.Duration
	if !c.delivered {
		c.failures++
		wait = c.backoff(c.failures)
	}
	c.setNextDial(wait)
	e := c.connError(op, err, wait)
	e.LostEntries, e.LostBytes = int(entries), int(bytes)
	return e
}

// connect dials, unless the next dial is not due yet.
func (c *Conn) connect() error {
	if now := c.clock.Now(); now.Before(c.nextDial) {
		var cause error = ErrNotConnected
		if c.lastDialErr != nil {
			cause = &waitError{last: c.lastDialErr}
		}
		return c.connError("wait", cause, c.nextDial.Sub(now))
	}
	nc, err := c.dial(c.ctx, c.dialTimeout)
	if c.closing.Load() {
		if err == nil {
			_ = nc.Close()
		}
		return ErrClosed
	}
	if err != nil {
		c.st.dialErrors.Add(1)
		c.lastDialErr = err
		c.failures++
		wait := c.backoff(c.failures)
		c.setNextDial(wait)
		return c.connError("dial", err, wait)
	}
	c.attach(nc)
	// A close racing this dial may have missed the new connection.
	if c.closing.Load() {
		_ = nc.SetDeadline(aLongTimeAgo)
	}
	return nil
}

// dial makes a connection, with the TLS handshake if configured, within
// timeout.
func (c *Conn) dial(parent context.Context, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	nc, err := c.dialFn(ctx, c.network, c.address)
	if err == nil && c.tlsConf != nil {
		tc := tls.Client(nc, c.tlsConf)
		if err = tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
		} else {
			nc = tc
		}
	}
	return nc, err
}

// attach makes nc the Conn's connection.
func (c *Conn) attach(nc net.Conn) {
	c.nc, c.delivered, c.stuck, c.led = nc, false, false, ledger{}
	c.lastDialErr = nil
	if c.resendOn {
		c.ackBase = probePeer(nc).ackedBytes
	}
	c.live.Store(&liveConn{nc})
	if c.st.connects.Add(1) > 1 {
		c.st.reconnects.Add(1)
	}
	c.st.state.Store(int32(StateConnected))
}

// backoff returns the wait before the next dial after k consecutive
// failures: ReconnectMin doubled k-1 times, capped at ReconnectMax, of which
// a random part, up to half, is taken off, so that clients that lost the
// same collector do not all dial again at once.
func (c *Conn) backoff(k int) time.Duration {
	d := c.backoffMin
	for i := 1; i < k && d < c.backoffMax; i++ {
		d *= 2
	}
	d = min(d, c.backoffMax)
	if half := d / 2; half > 0 {
		d -= rand.N(half + 1)
	}
	return d
}

func (c *Conn) setNextDial(wait time.Duration) {
	if wait <= 0 {
		c.nextDial = time.Time{}
		c.st.nextDial.Store(0)
		c.st.state.Store(int32(StateIdle))
		return
	}
	c.nextDial = c.clock.Now().Add(wait)
	c.st.nextDial.Store(c.nextDial.UnixNano())
	c.st.state.Store(int32(StateBackoff))
}

func (c *Conn) connError(op string, err error, retry time.Duration) *ConnError {
	return &ConnError{Op: op, Network: c.network, Address: c.address, Err: err, Retry: retry}
}

// checkPeer reports whether the collector has closed the connection (or
// reset it), reading and discarding whatever a plain connection's peer
// sent. A collector that died leaves a connection that still accepts one
// write, into the void: checking first saves that entry.
func (c *Conn) checkPeer() error {
	tc, isTLS := c.nc.(*tls.Conn)
	if !isTLS {
		return drainPeer(c.nc)
	}
	pending, err := peekPeer(tc.NetConn())
	if err != nil || !pending {
		return err
	}
	// TLS records wait: a session ticket, or a close_notify alert. Let
	// crypto/tls read what has arrived; a timeout means it was not a
	// whole record yet, which is no sign of trouble.
	_ = tc.SetReadDeadline(time.Now().Add(time.Millisecond))
	var buf [512]byte
	_, err = tc.Read(buf[:])
	_ = tc.SetReadDeadline(time.Time{})
	var ne net.Error
	switch {
	case err == nil, errors.As(err, &ne) && ne.Timeout():
		return nil
	case err == io.EOF:
		return ErrPeerClosed
	}
	return err
}

// aLongTimeAgo is a deadline that makes pending I/O return at once.
var aLongTimeAgo = time.Unix(1, 0)

// closeConn closes the connection, without TLS's close_notify if the peer
// has stopped reading (crypto/tls would wait up to 5s to send it).
func (c *Conn) closeConn() {
	if c.nc == nil {
		return
	}
	nc := c.nc
	c.nc = nil
	c.live.Store(nil)
	if tc, ok := nc.(*tls.Conn); ok && (c.stuck || c.closing.Load() && c.partial.active()) {
		_ = tc.NetConn().Close()
		return
	}
	_ = nc.Close()
}

// Close closes the connection; a half-written frame stays unfinished. It
// interrupts a Write in progress, whose dial or write then fails with
// ErrClosed. Later Writes return ErrClosed.
//
// On a tcp or unix connection with entries the collector has not yet been
// shown to have read, Close first confirms delivery as far as TCP allows:
// it gives the collector 250ms after the last write to refuse what it got,
// then half-closes the connection and waits, all within the stream's close
// timeout (logsink.Binding.CloseTimeout; 5s for a Conn used on its own),
// for the collector to close its end, which it does once it has read
// everything. If the collector had closed the connection already, resets
// it, or does not answer in time, those entries are counted as possibly
// lost (Stats().LostEntries and LostBytes, and the stream's
// Stats().LostBytes) and Close returns a *ConnError that says so. Under
// Block on plain TCP, entries the collector's kernel never acknowledged go
// again first, on a connection Close dials (see the package
// documentation). It is idempotent: later calls return nil.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	c.closing.Store(true)
	c.cancel()
	if c.busy.Load() > 0 {
		if lc := c.live.Load(); lc != nil {
			_ = lc.SetDeadline(aLongTimeAgo)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if !c.datagram {
		err = c.closeStream(time.Now().Add(c.closeWait))
	}
	if entries, bytes := c.lostResend(); entries > 0 {
		e := c.connError("close", errors.New("entries to send again after a lost connection were not sent"), 0)
		e.LostEntries, e.LostBytes = int(entries), int(bytes)
		err = errors.Join(err, e)
	}
	c.closeConn()
	c.st.state.Store(int32(StateClosed))
	c.st.nextDial.Store(0)
	return err
}

// Bind implements logsink.Binder: the stream in front of the Conn gives it
// the count of lost bytes (what a lost connection may have cost is added to
// the stream's Stats().LostBytes) and its close timeout, which bounds how
// long Close waits for the collector to confirm delivery.
func (c *Conn) Bind(b logsink.Binding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lostFn = b.Lost
	if b.CloseTimeout > 0 {
		c.closeWait = b.CloseTimeout
	}
}

// Follow implements logsink.Follower; the stream calls it once per flush
// interval. On an idle connection it finds a collector that closed or reset
// the connection (counting a disconnect and what may have been lost, and
// returning the *ConnError the stream reports through OnError; the next
// Write dials again), and it confirms the entries the collector has taken
// since the last write. It never dials and always reports reopened false.
func (c *Conn) Follow() (reopened bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.datagram || c.closing.Load() {
		return false, nil
	}
	if c.nc == nil {
		// Entries to send again after a lost connection go out without
		// waiting for the stream's next entry, once a dial is due.
		if !c.resend.pending() || c.clock.Now().Before(c.nextDial) {
			return false, nil
		}
		if err := c.connect(); err != nil {
			return false, err
		}
		return false, c.writeResend()
	}
	if err := c.checkPeer(); err != nil {
		return false, c.lost("check", err)
	}
	c.settle()
	return false, nil
}

// Stats returns the Conn's counters and state. It takes no lock: it can be
// called while a Write waits on the network.
func (c *Conn) Stats() Stats { return c.st.snapshot() }

// String describes the Conn for debugging.
func (c *Conn) String() string {
	return "netsink.Conn(" + c.network + " " + c.address + ", " + string(c.f.framing) + ")"
}

// entryEnd returns the end of the entry that starts at p[i]: the next end
// WriteEntries was given, or else just past the next newline, or len(p).
func (c *Conn) entryEnd(p []byte, i int) int {
	if c.ends != nil {
		if k := sort.SearchInts(c.ends, i+1); k < len(c.ends) {
			return c.ends[k]
		}
		return len(p)
	}
	if j := bytes.IndexByte(p[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(p)
}

// trimEntry drops an entry's line ending, "\n" or "\r\n".
func trimEntry(e []byte) []byte {
	e = bytes.TrimSuffix(e, []byte{'\n'})
	return bytes.TrimSuffix(e, []byte{'\r'})
}
