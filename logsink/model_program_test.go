package logsink_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// The model checker's program language: a fuzz input (or a seeded random
// source) decodes into a program, the options of one stream, a script of
// destination faults and a sequence of calls from up to four logical
// writers. A new option, call or destination behaviour joins this language
// in the same change that adds it.

// model is one decoded program.
type model struct {
	policy        logsink.Policy
	bufferSize    int
	highWaterMark int // 0: the default
	flushInterval time.Duration
	blockTimeout  time.Duration // 0: wait until room or Close
	closeTimeout  time.Duration
	keepTimeout   time.Duration
	spill         bool
	spillMax      int64
	powerCut      bool   // the spill is on a simulated disk whose power is cut (see callPowerCut)
	cutAfter      int    // with powerCut: the disk dies by itself after this many mutating calls (0: never)
	seed          uint64 // what a power cut leaves of unsynced data, drawn from it
	summary       bool   // WithDropSummary
	hookWrites    bool   // OnDrop and OnError write an entry through the stream
	dest          destKind
	writes        []fault // the destination's Write (or WriteEntries) calls, in turn; then success
	syncs         []fault // its Sync, Rotate and Reopen calls, in turn; then success
	calls         []call
	end           []byte // the last call: End(end), Close when empty
}

type destKind uint8

const (
	destPlain   destKind = iota // io.Writer only
	destEntries                 // an EntryWriter (a collector connection)
	destFile                    // Write, Sync, Rotate, Reopen and Close, like a file
	destKinds
)

var destNames = [...]string{destPlain: "plain", destEntries: "entries", destFile: "file"}

// fault is what one destination call does.
type fault uint8

const (
	faultOK      fault = iota // take everything
	faultShort                // take half, no error (io.ErrShortWrite for the stream)
	faultEAGAIN               // take nothing, EAGAIN
	faultEIO                  // take nothing, EIO
	faultPartial              // take half, then EIO
	faultEPIPE                // EPIPE, now and for every later call: the reader is gone
	faultSlow                 // take everything, after a few milliseconds
	faultHang                 // block until the test releases it, then take everything
	faultKinds
)

var faultNames = [...]string{"ok", "short", "eagain", "eio", "partial", "epipe", "slow", "hang"}

type callKind uint8

const (
	callWrite callKind = iota
	callWriteKeep
	callFlush
	callSync
	callRotate
	callReopen
	callDrained  // NeedDrain, and if a drain is due, wait for Drained
	callRelease  // release the destination calls that hang now
	callPowerCut // with powerCut: the machine loses power (once); the program goes on as if it had not
	callKinds
)

var callNames = [...]string{"write", "writekeep", "flush", "sync", "rotate", "reopen", "drained", "release", "powercut"}

// call is one step of the program: writer w makes a call, with an entry of
// n bytes for the writes.
type call struct {
	w    int
	kind callKind
	n    int
}

// programReader decodes bytes into choices; past the end of the input every
// choice is 0, so any input is a program.
type programReader struct {
	b []byte
	i int
}

func (r *programReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *programReader) done() bool { return r.i >= len(r.b) }

// pick returns one of the choices.
func pick[T any](r *programReader, choices ...T) T { return choices[int(r.byte())%len(choices)] }

// entryLength decodes an entry length class: empty, one byte, small,
// medium, near the buffer size, above it.
func (r *programReader) entryLength(bufferSize int) int {
	k, v := r.byte(), int(r.byte())
	switch k % 8 {
	case 0:
		return 0
	case 1:
		return 1
	case 2, 3:
		return 8 + v%56
	case 4, 5:
		return 64 + v*4
	case 6:
		return max(bufferSize-v%32, 1)
	default:
		return bufferSize + 1 + v*8
	}
}

// decodeModel turns a fuzz input into a program.
func decodeModel(data []byte) model {
	r := &programReader{b: data}
	m := model{
		policy:        pick(r, logsink.Block, logsink.Drop),
		bufferSize:    pick(r, 256, 512, 1024, 4096, 16<<10, 64<<10),
		flushInterval: pick(r, 5*time.Millisecond, 50*time.Millisecond, time.Hour),
		blockTimeout:  pick(r, 30*time.Millisecond, 150*time.Millisecond, 0),
		closeTimeout:  pick(r, 150*time.Millisecond, 400*time.Millisecond),
		keepTimeout:   pick(r, 20*time.Millisecond, 100*time.Millisecond),
	}
	m.highWaterMark = pick(r, 0, m.bufferSize/8, m.bufferSize/2, m.bufferSize)
	flags := r.byte()
	m.spill = flags&1 != 0
	m.summary = flags&2 != 0
	m.hookWrites = flags&4 != 0
	m.spillMax = pick(r, int64(1<<20), int64(8<<10))
	m.dest = destKind(r.byte() % uint8(destKinds))
	for range int(r.byte() % 12) {
		m.writes = append(m.writes, fault(r.byte()%uint8(faultKinds)))
	}
	if m.spill && flags&8 != 0 {
		// A power cut checks what a nil Sync promised, entry by entry:
		// so nothing accepted may be dropped (Block without a timeout,
		// a spill that never fills, a destination that never fails for
		// good), and every Write that returned nil stored its entry.
		m.powerCut = true
		m.policy, m.blockTimeout, m.spillMax = logsink.Block, 0, 1<<20
		for i, f := range m.writes {
			if f == faultEPIPE {
				m.writes[i] = faultEIO
			}
		}
		if v := r.byte(); v%3 == 0 {
			m.cutAfter = 1 + int(v)
		}
	}
	for range int(r.byte() % 4) {
		m.syncs = append(m.syncs, pick(r, faultOK, faultEIO, faultEIO, faultHang))
	}
	for len(m.calls) < 48 && !r.done() {
		c := call{w: int(r.byte() % 4)}
		switch k := r.byte() % 16; {
		case k < 7:
			c.kind = callWrite
		case k < 9:
			c.kind = callWriteKeep
		default:
			c.kind = callKind(2 + (k-9)%uint8(callKinds-2))
		}
		if c.kind == callWrite || c.kind == callWriteKeep {
			c.n = r.entryLength(m.bufferSize)
		}
		m.calls = append(m.calls, c)
	}
	if n := r.entryLength(m.bufferSize); n > 0 && n <= m.bufferSize {
		m.end = make([]byte, n) // filled in as writer E's entry by the runner
	}
	for _, b := range data {
		m.seed = m.seed*131 + uint64(b)
	}
	return m
}

func (m model) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy=%s buffer=%d hwm=%d flush=%s block=%s close=%s keep=%s spill=%t(max %d) summary=%t hookWrites=%t dest=%s\n",
		m.policy, m.bufferSize, m.highWaterMark, m.flushInterval, m.blockTimeout, m.closeTimeout, m.keepTimeout,
		m.spill, m.spillMax, m.summary, m.hookWrites, destNames[m.dest])
	if m.powerCut {
		fmt.Fprintf(&b, "power cut: the disk dies after %d calls (0: at the powercut call or the end), seed %d\n", m.cutAfter, m.seed)
	}
	b.WriteString("writes:")
	for _, f := range m.writes {
		b.WriteString(" " + faultNames[f])
	}
	b.WriteString("\nsyncs:")
	for _, f := range m.syncs {
		b.WriteString(" " + faultNames[f])
	}
	b.WriteString("\ncalls:")
	for _, c := range m.calls {
		fmt.Fprintf(&b, " %d:%s", c.w, callNames[c.kind])
		if c.kind == callWrite || c.kind == callWriteKeep {
			fmt.Fprintf(&b, "(%d)", c.n)
		}
	}
	fmt.Fprintf(&b, "\nend: %d bytes", len(m.end))
	return b.String()
}

// options returns the stream options the program chose; spillDir is used
// when it has a spill.
func (m model) options(spillDir string) []logsink.Option {
	opts := []logsink.Option{
		logsink.WithPolicy(m.policy),
		logsink.WithBufferSize(m.bufferSize),
		logsink.WithFlushInterval(m.flushInterval),
		logsink.WithBlockTimeout(m.blockTimeout),
		logsink.WithCloseTimeout(m.closeTimeout),
		logsink.WithKeepTimeout(m.keepTimeout),
	}
	if m.highWaterMark > 0 {
		opts = append(opts, logsink.WithHighWaterMark(m.highWaterMark))
	}
	if m.spill {
		opts = append(opts, logsink.WithSpill(spillDir, m.spillMax))
	}
	if m.summary {
		opts = append(opts, logsink.WithDropSummary(func(b []byte, _ time.Time, entries, _ uint64) []byte {
			return fmt.Appendf(b, "S%d\n", entries)
		}))
	}
	return opts
}

// modelEntry returns the entry writer w writes as its seq-th, n bytes long. An
// entry of 8 bytes or more names its writer and sequence number and is
// padded to n; a shorter one is anonymous. Every entry ends with its only
// newline, so a reader of the destination tells entries apart, and a cut
// or merged entry shows.
func modelEntry(w byte, seq, n int) []byte {
	if n == 0 {
		return nil
	}
	p := make([]byte, n)
	for i := range p {
		p[i] = 'x'
	}
	if n >= 8 {
		copy(p, fmt.Sprintf("%c%05x.", w, seq&0xfffff))
	}
	p[n-1] = '\n'
	return p
}
