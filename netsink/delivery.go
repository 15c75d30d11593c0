package netsink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// confirmAge is how long the collector's kernel must have held a byte
// before it counts as read: a collector that is up reads what its kernel
// took within milliseconds, so what a collector that dies can lose unseen
// is what it took in its last moments, and that is not yet confirmed.
const confirmAge = time.Second

// closeSettle is how long Close gives the collector, after the last write,
// to take what it got before the end of stream is sent: a collector that
// refuses a frame (one over its size limit) closes the connection in that
// time, having read everything, which the end-of-stream exchange alone
// could not tell from a normal close.
const closeSettle = 250 * time.Millisecond

// peerState is what the system tells of the collector's side of a
// connection (probePeer).
type peerState struct {
	known      bool   // the system could tell
	acked      bool   // the collector's kernel has acknowledged every byte, and is not refusing more
	read       bool   // the collector has read every byte
	knowsBytes bool   // ackedBytes is known (TCP)
	ackedBytes uint64 // bytes acknowledged since the connection was made, plus a baseline
}

// ledger keeps, for the current stream connection, the entries written
// whole to it and how many of them the collector is taken to have.
// Entries count in the stream's bytes (as the stream handed them over,
// line ending included, framing not), so that what a lost connection
// costs adds up with the stream's own Stats.
type ledger struct {
	entries, bytes         uint64 // written whole
	confEntries, confBytes uint64 // of those, confirmed
	// marks are the points found acknowledged, oldest first, each waiting
	// for confirmAge; a new one is taken at most every confirmAge/8, so
	// that a mark is confirmed about confirmAge after it was acknowledged.
	marks []ackMark
}

type ackMark struct {
	entries, bytes uint64
	at             time.Time
}

func (l *ledger) wrote(n int) {
	l.entries++
	l.bytes += uint64(n)
}

func (l *ledger) unconfirmed() (entries, bytes uint64) {
	return l.entries - l.confEntries, l.bytes - l.confBytes
}

// confirm confirms everything written.
func (l *ledger) confirm() {
	l.confEntries, l.confBytes = l.entries, l.bytes
	l.marks = l.marks[:0]
}

// acked records that everything written so far is acknowledged at now,
// and confirms the newest mark acknowledged confirmAge before.
func (l *ledger) acked(now time.Time) {
	k := 0
	for k < len(l.marks) && now.Sub(l.marks[k].at) >= confirmAge {
		k++
	}
	if k > 0 {
		l.confEntries, l.confBytes = l.marks[k-1].entries, l.marks[k-1].bytes
		l.marks = append(l.marks[:0], l.marks[k:]...)
	}
	newest := l.confBytes
	if len(l.marks) > 0 {
		newest = l.marks[len(l.marks)-1].bytes
	}
	if l.bytes > newest && (len(l.marks) == 0 || now.Sub(l.marks[len(l.marks)-1].at) >= confirmAge/8) {
		l.marks = append(l.marks, ackMark{entries: l.entries, bytes: l.bytes, at: now})
	}
}

// entryWritten records an entry of n bytes written whole to the
// connection as frame.
func (c *Conn) entryWritten(frame []byte, n int) {
	c.lastWrite = time.Now()
	c.st.entries.Add(1)
	c.delivered = true
	c.failures = 0
	if !c.datagram {
		c.led.wrote(n)
		c.st.unconfirmed.Add(uint64(n))
		c.unackedFrame(frame, n)
	}
}

// settle confirms what the collector has taken: on a unix socket what it
// has read, on TCP what its kernel acknowledged at least confirmAge ago. It
// runs before each write and once per flush interval (Follow).
func (c *Conn) settle() {
	p := probePeer(rawNetConn(c.nc))
	if c.resendOn && p.knowsBytes {
		c.ackedUpTo(p.ackedBytes - c.ackBase)
	}
	switch {
	case p.read:
		c.led.confirm()
	case p.acked:
		c.led.acked(time.Now())
	}
	_, b := c.led.unconfirmed()
	c.st.unconfirmed.Store(b)
}

// forfeit counts the entries written to a connection that ended without
// confirming them as possibly lost, in the Conn's Stats and the stream's
// Stats().LostBytes, and returns their number and bytes.
func (c *Conn) forfeit() (entries, bytes uint64) {
	entries, bytes = c.led.unconfirmed()
	c.led = ledger{marks: c.led.marks[:0]}
	c.st.unconfirmed.Store(0)
	if bytes == 0 {
		return 0, 0
	}
	c.st.lostEntries.Add(entries)
	c.st.lostBytes.Add(bytes)
	if c.lostFn != nil {
		c.lostFn(int(bytes))
	}
	return entries, bytes
}

// closeStream ends the stream connection for Close, confirming delivery
// as far as TCP allows (finish), by deadline. Entries to send again (Block,
// plain TCP) after a lost connection, or after finish found the collector
// gone, go on a connection of Close's own first: there may be no entry of
// the stream's left to make the Conn write again. Each entry is sent again
// at most once, so this ends.
func (c *Conn) closeStream(deadline time.Time) error {
	var errs []error
	for {
		if c.nc != nil {
			errs = append(errs, c.finish(deadline))
			c.closeConn()
		}
		if !c.resend.pending() || !time.Now().Before(deadline) {
			return errors.Join(errs...)
		}
		nc, err := c.dial(context.Background(), min(c.dialTimeout, time.Until(deadline)))
		if err != nil {
			return errors.Join(errs...) // Close counts the entries left as lost
		}
		c.attach(nc)
		_ = c.nc.SetDeadline(deadline)
		if err := c.pushResend(); err != nil {
			errs = append(errs, c.unconfirmed("close", err))
			c.closeConn()
		}
	}
}

// finish ends a stream connection on Close so that delivery is confirmed
// as far as TCP allows: it checks that the collector has not closed the
// connection already, gives it closeSettle after the last write to refuse
// what it got, half-closes the connection (end of stream, and TLS
// close_notify) and waits, until deadline, for the collector to close its
// end, which it does once it has read everything before the end of
// stream. What this cannot confirm is counted as possibly lost and
// returned as a *ConnError; if the collector closed or reset the
// connection, the frames its kernel never acknowledged are first set aside
// to send again (Block, plain TCP). A connection that cannot be
// half-closed (from Config.Dial, without a CloseWrite method) is closed
// without confirmation.
func (c *Conn) finish(deadline time.Time) error {
	if _, b := c.led.unconfirmed(); b == 0 {
		return nil
	}
	gone := func(err error) error {
		c.takeUnacked()
		return c.unconfirmed("close", err)
	}
	if err := c.checkPeer(); err != nil {
		return gone(err)
	}
	if c.settle(); c.st.unconfirmed.Load() == 0 {
		return nil
	}
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok {
		return nil
	}
	_ = c.nc.SetDeadline(deadline)
	if settle := c.lastWrite.Add(closeSettle); settle.Before(deadline) && time.Now().Before(settle) {
		// Watch the connection until then: a close or reset from the
		// collector ends the wait, and means it did not take everything.
		_ = c.nc.SetReadDeadline(settle)
		_, err := io.Copy(io.Discard, c.nc)
		var ne net.Error
		switch {
		case err == nil || errors.Is(err, io.ErrUnexpectedEOF):
			return gone(ErrPeerClosed)
		case !errors.As(err, &ne) || !ne.Timeout():
			return gone(err)
		}
		_ = c.nc.SetReadDeadline(deadline)
	}
	err := cw.CloseWrite()
	if tc, isTLS := c.nc.(*tls.Conn); isTLS && err == nil {
		// crypto/tls sends close_notify but leaves the TCP stream open.
		if tcw, ok := tc.NetConn().(interface{ CloseWrite() error }); ok {
			err = tcw.CloseWrite()
		}
	}
	if err == nil {
		_, err = io.Copy(io.Discard, c.nc) // nil at the collector's end of stream
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil // TLS: the collector closed without close_notify
		}
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		// The collector is there but does not read: sending again would
		// not help.
		return c.unconfirmed("close", fmt.Errorf("the collector did not close its end in time (close timeout %s): %w", c.closeWait, ErrNotConfirmed))
	case err != nil:
		return gone(err)
	}
	c.led.confirm()
	c.st.unconfirmed.Store(0)
	return nil
}

// unconfirmed counts what the connection could not confirm as possibly
// lost and returns the error that says so.
func (c *Conn) unconfirmed(op string, err error) error {
	e := c.connError(op, err, 0)
	entries, bytes := c.forfeit()
	e.LostEntries, e.LostBytes = int(entries), int(bytes)
	return e
}

// rawNetConn returns the connection under TLS, or nc itself.
func rawNetConn(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return nc
}
