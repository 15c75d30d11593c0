package netsink

// resendCap bounds the copies of unacknowledged frames a Conn keeps for
// resending: the most a socket's send buffer holds on Linux by default
// (net.ipv4.tcp_wmem). Frames pushed out past it are counted as possibly
// lost instead if their connection ends.
const resendCap = 4 << 20

// backlog is a run of whole frames, back to back, with the entry bytes of
// each (the stream's bytes, for the loss accounting).
type backlog struct {
	wire   []byte
	frames []backFrame
	off    int // resend: bytes of the first frame already written on the current connection
}

type backFrame struct {
	size, entry int
	again       bool // sent again already: not a second time
}

func (b *backlog) pending() bool { return len(b.frames) > 0 }

func (b *backlog) push(frame []byte, entry int) {
	b.wire = append(b.wire, frame...)
	b.frames = append(b.frames, backFrame{size: len(frame), entry: entry})
}

// dropFront forgets the first k frames.
func (b *backlog) dropFront(k int) {
	n := 0
	for _, f := range b.frames[:k] {
		n += f.size
	}
	b.wire = b.wire[:copy(b.wire, b.wire[n:])]
	b.frames = b.frames[:copy(b.frames, b.frames[k:])]
}

func (b *backlog) reset() {
	b.wire, b.frames, b.off = b.wire[:0], b.frames[:0], 0
}

// unackedFrame records a frame written whole to a plain TCP connection
// under Block, until its kernel acknowledges it.
func (c *Conn) unackedFrame(frame []byte, entry int) {
	if !c.resendOn || c.nc == nil {
		return
	}
	c.unacked.push(frame, entry)
	if len(c.unacked.wire) > 2*resendCap {
		// The collector acknowledges nothing: keep the newest frames.
		k, n := 0, len(c.unacked.wire)
		for n > resendCap {
			n -= c.unacked.frames[k].size
			c.unackedStart += uint64(c.unacked.frames[k].size)
			k++
		}
		c.unacked.dropFront(k)
	}
}

// ackedUpTo forgets the unacknowledged frames that the collector's kernel
// has acknowledged: acked is how many bytes of the connection it has.
func (c *Conn) ackedUpTo(acked uint64) {
	k := 0
	for k < len(c.unacked.frames) && c.unackedStart+uint64(c.unacked.frames[k].size) <= acked {
		c.unackedStart += uint64(c.unacked.frames[k].size)
		k++
	}
	c.unacked.dropFront(k)
}

// takeUnacked, when a plain TCP connection is lost under Block, moves the
// frames of which its collector's kernel acknowledged not a byte to the
// front of the resend backlog, and takes their entries out of the ledger:
// they go again first on the next connection instead of being counted as
// lost. That is at-least-once: a collector may have read a frame whose
// acknowledgement had not come back yet. A frame acknowledged in part is
// not sent again, nor a frame sent again already, which is counted as
// possibly lost instead: a collector that drops the connection over a
// frame (one too large for it) must not be sent it again and again.
func (c *Conn) takeUnacked() {
	if !c.resendOn {
		return
	}
	defer func() { c.unacked.reset(); c.unackedStart = 0 }()
	p := probePeer(rawNetConn(c.nc))
	if !p.knowsBytes || !c.unacked.pending() {
		return
	}
	acked := p.ackedBytes - c.ackBase
	k := 0 // frames with a byte acknowledged
	for start := c.unackedStart; k < len(c.unacked.frames) && start < acked; k++ {
		start += uint64(c.unacked.frames[k].size)
	}
	c.unacked.dropFront(k)
	// Keep the frames not sent again yet, in order.
	var again backlog
	off := 0
	for _, f := range c.unacked.frames {
		if !f.again {
			again.push(c.unacked.wire[off:off+f.size], f.entry)
			c.led.entries--
			c.led.bytes -= uint64(f.entry)
		}
		off += f.size
	}
	if !again.pending() {
		return
	}
	for i := range again.frames {
		again.frames[i].again = true
	}
	c.unacked.reset()
	c.unacked.wire = append(c.unacked.wire, again.wire...)
	c.unacked.frames = append(c.unacked.frames, again.frames...)
	c.st.resent.Add(uint64(len(c.unacked.frames)))
	// What was still to resend on this connection goes after them.
	c.resend.off = 0
	c.unacked.wire = append(c.unacked.wire, c.resend.wire...)
	c.unacked.frames = append(c.unacked.frames, c.resend.frames...)
	c.resend, c.unacked = c.unacked, c.resend
}

// writeResend writes the frames to send again, before anything else on a
// new connection.
func (c *Conn) writeResend() error {
	if err := c.pushResend(); err != nil {
		return c.writeFailed(err)
	}
	return nil
}

// pushResend writes the frames to send again; on failure the rest stays,
// with how much of the first frame was written.
func (c *Conn) pushResend() error {
	for c.resend.pending() {
		n, err := c.writeWire(c.resend.wire[c.resend.off:])
		c.resend.off += n
		for c.resend.pending() && c.resend.off >= c.resend.frames[0].size {
			f := c.resend.frames[0]
			c.entryWritten(c.resend.wire[:f.size], f.entry)
			if c.unacked.pending() {
				c.unacked.frames[len(c.unacked.frames)-1].again = true
			}
			c.resend.off -= f.size
			c.resend.dropFront(1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lostResend counts the frames still to send again as lost, when the Conn
// closes before a connection could take them.
func (c *Conn) lostResend() (entries, bytes uint64) {
	for _, f := range c.resend.frames {
		entries++
		bytes += uint64(f.entry)
	}
	c.resend.reset()
	if bytes > 0 {
		c.st.lostEntries.Add(entries)
		c.st.lostBytes.Add(bytes)
		if c.lostFn != nil {
			c.lostFn(int(bytes))
		}
	}
	return entries, bytes
}
