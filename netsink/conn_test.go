package netsink_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

var start = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// batch returns entries from..to-1 as one byte slice, as a stream hands
// them to its destination.
func batch(from, to int) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = append(b, entry(i)...)
	}
	return b
}

// messages unframes what a connection received.
func messages(t *testing.T, framing netsink.Framing, b []byte) []string {
	t.Helper()
	switch framing {
	case netsink.Octet:
		return octetFrames(t, b)
	case netsink.RFC5424:
		frames := octetFrames(t, b)
		for i, f := range frames {
			parts := strings.SplitN(f, " ", 8)
			require.Len(t, parts, 8, "RFC 5424 header in %q", f)
			frames[i] = parts[7]
		}
		return frames
	case netsink.RFC3164:
		ls := lines(b)
		for i, l := range ls {
			_, msg, ok := strings.Cut(l, "]: ")
			require.True(t, ok, "RFC 3164 header in %q", l)
			ls[i] = msg
		}
		return ls
	}
	return lines(b)
}

func TestConnFramings(t *testing.T) {
	tests := []struct {
		framing netsink.Framing
		head    string // the start of the first frame
	}{
		{framing: netsink.Lines, head: `{"level":"info","msg":"entry","n":0,`},
		{framing: netsink.Octet, head: `95 {"level":"info","msg":"entry","n":0,`},
		{framing: netsink.RFC5424, head: `146 <134>1 2024-05-06T07:08:09.000000Z host app 42 - - {"level":"info",`},
		{framing: netsink.RFC3164, head: `<134>May  6 07:08:09 host app[42]: {"level":"info",`},
	}
	for _, network := range []string{"tcp", "unix"} {
		for _, tt := range tests {
			t.Run(network+"/"+string(tt.framing), func(t *testing.T) {
				col := newCollector(t, network)
				conn, err := netsink.NewConn(netsink.Config{
					Proto: network, Address: col.addr(), Framing: tt.framing, Facility: "local0",
					Hostname: "host", AppName: "app", ProcID: "42", Clock: sinktest.NewMockClock(start),
				})
				require.NoError(t, err, "NewConn")
				p := batch(0, 1000)
				n, err := conn.Write(p)
				require.NoError(t, err, "Write")
				assert.Equal(t, len(p), n, "Write took every byte")
				require.NoError(t, conn.Close(), "Close")
				col.waitEOF(1)

				got := col.all()
				assert.True(t, strings.HasPrefix(string(got), tt.head), "first frame starts %q, got %.80q", tt.head, got)
				assertSeq(t, 0, 1000, numbers(t, messages(t, tt.framing, got)), "every entry whole, in order")
				st := conn.Stats()
				assert.Equal(t, uint64(1000), st.Entries, "entries counted")
				assert.Equal(t, uint64(len(got)), st.Bytes, "bytes counted, framing included")
				assert.Equal(t, uint64(1), st.Connects, "one connection")
				assert.Equal(t, netsink.StateClosed, st.State, "closed")
			})
		}
	}
}

// Through a stream, one Write is one message: the stream hands the Conn
// each entry's end (logsink.EntryWriter), so an entry with inner newlines
// or without a trailing newline stays whole.
func TestStreamEntriesAreMessages(t *testing.T) {
	col := newCollector(t, "tcp")
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Framing: netsink.Octet})
	require.NoError(t, err, "NewConn")
	s := logsink.New(conn)
	// No empty Write here: the stream stores none (issue 22), and the
	// Conn refuses a batch whose ends hold an empty entry (logsink.CheckEnds).
	for _, p := range []string{"panic: boom\ngoroutine 1\n", "no newline", "last\n"} {
		_, err := s.Write([]byte(p))
		require.NoError(t, err, "Write")
	}
	require.NoError(t, s.Close(), "Close")
	col.waitEOF(1)
	assert.Equal(t, "23 panic: boom\ngoroutine 110 no newline4 last", string(col.all()), "frames")
}

func TestConnEntryBoundaries(t *testing.T) {
	col := newCollector(t, "tcp")
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Framing: netsink.Octet})
	require.NoError(t, err, "NewConn")
	// Empty entries are skipped, CRLF loses its CR, the tail without a
	// newline is an entry of its own.
	p := []byte("one\n\n\r\ntwo\r\nthree")
	n, err := conn.Write(p)
	require.NoError(t, err, "Write")
	assert.Equal(t, len(p), n, "Write took every byte")
	n, err = conn.Write([]byte("\n\n"))
	require.NoError(t, err, "Write of empty entries")
	assert.Equal(t, 2, n, "empty entries are taken")
	require.NoError(t, conn.Close(), "Close")
	col.waitEOF(1)
	assert.Equal(t, "3 one3 two5 three", string(col.all()), "frames")
	assert.Equal(t, uint64(3), conn.Stats().Entries, "entries counted")
}

// packetCollector records the datagrams sent to a udp or unixgram socket.
type packetCollector struct {
	pc   net.PacketConn
	mu   sync.Mutex
	got  []string
	more chan struct{}
	done chan struct{}
}

func newPacketCollector(t *testing.T, network string) *packetCollector {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unixgram" {
		addr = filepath.Join(t.TempDir(), "collector.sock")
	}
	pc, err := net.ListenPacket(network, addr)
	require.NoError(t, err, "listen %s", network)
	c := &packetCollector{pc: pc, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 1<<16)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.got = append(c.got, string(buf[:n]))
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = pc.Close()
		<-c.done
	})
	return c
}

// waitFor waits until n datagrams arrived.
func (c *packetCollector) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		c.mu.Lock()
		got := append([]string(nil), c.got...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("%d of %d datagrams arrived", len(got), n)
		}
	}
}

func TestConnDatagrams(t *testing.T) {
	for _, network := range []string{"udp", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			col := newPacketCollector(t, network)
			conn, err := netsink.NewConn(netsink.Config{
				Proto: network, Address: col.pc.LocalAddr().String(), Framing: netsink.RFC5424,
				Hostname: "host", AppName: "app", ProcID: "42", Clock: sinktest.NewMockClock(start),
			})
			require.NoError(t, err, "NewConn")
			// A few entries, so that loopback loses none.
			p := append(batch(0, 3), `{"level":"error","msg":"bad"}`+"\n"...)
			n, err := conn.Write(p)
			require.NoError(t, err, "Write")
			assert.Equal(t, len(p), n, "Write took every byte")
			got := col.waitFor(t, 4)
			require.NoError(t, conn.Close(), "Close")
			assert.Equal(t, "<14>1 2024-05-06T07:08:09.000000Z host app 42 - - "+strings.TrimSuffix(string(entry(0)), "\n"), got[0],
				"a datagram is one message, without octet count or newline")
			assert.Equal(t, "<11>1 2024-05-06T07:08:09.000000Z host app 42 - - "+`{"level":"error","msg":"bad"}`, got[3],
				"severity from the level")
		})
	}
}

func TestConnDatagramTruncated(t *testing.T) {
	col := newPacketCollector(t, "udp")
	conn, err := netsink.NewConn(netsink.Config{Proto: "udp", Address: col.pc.LocalAddr().String(), MaxMessageSize: 480})
	require.NoError(t, err, "NewConn")
	long := strings.Repeat("é", 300) // 600 bytes
	n, err := conn.Write([]byte(long + "\nshort\n"))
	require.NoError(t, err, "Write")
	assert.Equal(t, len(long)+7, n, "Write took every byte")
	got := col.waitFor(t, 2)
	require.NoError(t, conn.Close(), "Close")
	assert.Equal(t, strings.Repeat("é", 234)+netsink.TruncationMarker, got[0], "truncated to 480 bytes at a rune boundary, marker included")
	assert.Equal(t, "short", got[1], "the next entry is whole")
	assert.Equal(t, uint64(1), conn.Stats().Truncated, "truncation counted")
}

func TestStreamOversizeDatagramDropped(t *testing.T) {
	// A unixgram datagram longer than the socket's send buffer is refused
	// with EMSGSIZE whatever the receiver does: it is dropped and counted as
	// lost, not as a failure of the connection (the stream would count an
	// error and back off for nothing), and the entries after it still go.
	col := newPacketCollector(t, "unixgram")
	conn, err := netsink.NewConn(netsink.Config{Proto: "unixgram", Address: col.pc.LocalAddr().String(), MaxMessageSize: 64 << 20})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add))
	huge := bytes.Repeat([]byte("x"), 16<<20)
	for _, p := range [][]byte{[]byte("before"), huge, []byte("after")} {
		_, err := s.Write(p)
		require.NoError(t, err, "Write")
	}
	require.NoError(t, s.Flush(), "Flush: nothing to retry")
	got := col.waitFor(t, 2)
	require.NoError(t, s.Close(), "Close")
	assert.Equal(t, []string{"before", "after"}, got, "the other entries went")
	assert.Empty(t, errs.all(), "not reported as a destination error")
	st := s.Stats()
	assert.Zero(t, st.Errors, "not counted as a stream error")
	assert.Equal(t, uint64(len(huge)), st.LostBytes, "counted as lost by the stream")
	cst := conn.Stats()
	assert.Equal(t, uint64(1), cst.Oversize, "the drop is counted")
	assert.Equal(t, uint64(1), cst.LostEntries, "as a lost entry")
	assert.Equal(t, uint64(len(huge)), cst.LostBytes, "of its size")
	assert.Zero(t, cst.WriteErrors, "not a write error")
}

func TestConnDialBackoff(t *testing.T) {
	clock := sinktest.NewMockClock(start)
	col := newCollector(t, "tcp")
	var mu sync.Mutex
	dials, down := 0, true
	conn, err := netsink.NewConn(netsink.Config{
		Address:      col.addr(),
		Clock:        clock,
		ReconnectMin: 100 * time.Millisecond,
		ReconnectMax: time.Second,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			mu.Lock()
			dials++
			isDown := down
			mu.Unlock()
			if isDown {
				return nil, errors.New("collector down")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		},
	})
	require.NoError(t, err, "NewConn")
	defer conn.Close()
	dialCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return dials
	}
	p := batch(0, 1)

	assert.Equal(t, netsink.StateIdle, conn.Stats().State, "idle before the first write")
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		n, err := conn.Write(p)
		assert.Zero(t, n, "nothing written while down")
		var ce *netsink.ConnError
		require.ErrorAs(t, err, &ce, "dial %d fails", i)
		assert.Equal(t, "dial", ce.Op, "the dial failed")
		assert.True(t, ce.Retry >= want/2 && ce.Retry <= want, "wait %s within [%s, %s]", ce.Retry, want/2, want)
		st := conn.Stats()
		assert.Equal(t, netsink.StateBackoff, st.State, "backing off")
		assert.Equal(t, clock.Now().Add(ce.Retry).UnixNano(), st.NextDial.UnixNano(), "next dial time")

		// Before the wait is over, Write does not dial.
		clock.Add(ce.Retry - time.Nanosecond)
		_, err = conn.Write(p)
		require.ErrorIs(t, err, netsink.ErrNotConnected, "waiting")
		require.ErrorAs(t, err, &ce, "a ConnError")
		assert.Equal(t, "wait", ce.Op, "no dial")
		assert.Equal(t, time.Nanosecond, ce.Retry, "the rest of the wait")
		assert.Equal(t, i+1, dialCount(), "no dial before the wait is over")
		clock.Add(time.Nanosecond)
	}
	assert.Equal(t, uint64(6), conn.Stats().DialErrors, "dial errors counted")

	mu.Lock()
	down = false
	mu.Unlock()
	n, err := conn.Write(p)
	require.NoError(t, err, "the collector is back")
	assert.Equal(t, len(p), n, "written")
	st := conn.Stats()
	assert.Equal(t, netsink.StateConnected, st.State, "connected")
	assert.Equal(t, uint64(1), st.Connects, "first connection")
	assert.Zero(t, st.Reconnects, "not a reconnection")
	assert.True(t, st.NextDial.IsZero(), "no dial due")
}

func TestConnPeerClosed(t *testing.T) {
	col := newCollector(t, "tcp")
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Clock: sinktest.NewMockClock(start)})
	require.NoError(t, err, "NewConn")
	defer conn.Close()
	_, err = conn.Write(batch(0, 10))
	require.NoError(t, err, "Write")
	col.wait("10 entries", func(conns [][]byte, _ []bool) bool { return len(lines(bytes.Join(conns, nil))) == 10 })

	// The collector restarts: it closes the connection and takes new ones.
	col.closeConns()
	col.waitEOF(1)
	p := batch(10, 20)
	n, err := conn.Write(p)
	assert.Zero(t, n, "nothing written to a closed connection")
	require.ErrorIs(t, err, netsink.ErrPeerClosed, "the closed connection is found before writing")
	var ce *netsink.ConnError
	require.ErrorAs(t, err, &ce, "a ConnError")
	assert.Zero(t, ce.Retry, "a connection that delivered entries is dialled again at once")
	assert.Equal(t, netsink.StateIdle, conn.Stats().State, "idle")

	n, err = conn.Write(p)
	require.NoError(t, err, "Write dials again")
	assert.Equal(t, len(p), n, "written")
	col.wait("20 entries", func(conns [][]byte, _ []bool) bool { return len(lines(bytes.Join(conns, nil))) == 20 })
	assertSeq(t, 0, 20, numbers(t, lines(col.all())), "nothing lost")
	st := conn.Stats()
	assert.Equal(t, uint64(2), st.Connects, "connects")
	assert.Equal(t, uint64(1), st.Reconnects, "reconnects")
	assert.Equal(t, uint64(1), st.Disconnects, "disconnects")
}

// writeUntilError writes numbered entries until the stream has reported an
// error, then 1000 more, and returns how many it wrote. However fast the
// kernel takes the first entries, some are written after the failure.
func writeUntilError(t *testing.T, s *logsink.Stream, errs *errorLog) int {
	t.Helper()
	more := -1
	for i := 0; ; i++ {
		_, err := s.Write(entry(i))
		require.NoError(t, err, "Write %d", i)
		switch {
		case more > 0:
			more--
		case more == 0:
			return i + 1
		case len(errs.all()) > 0:
			more = 1000
		case i > 1_000_000:
			t.Fatal("no error after a million entries")
		}
	}
}

// TestStreamResendsEntryInFlight resets the connection in the middle of a
// run. The entry whose write failed goes again, whole, on the next
// connection. Under Block, so do the entries before it that the
// collector's kernel had not acknowledged (at-least-once: their
// acknowledgement may just not have come back). What is lost is what the
// collector's kernel had acknowledged and the collector never read, and
// that is counted, not silent.
func TestStreamResendsEntryInFlight(t *testing.T) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		for _, framing := range []netsink.Framing{netsink.Lines, netsink.Octet} {
			t.Run(policy.String()+"/"+string(framing), func(t *testing.T) {
				col := newCollector(t, "tcp")
				col.resetFirstAfter(100_000 + 37) // mid-entry
				conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Framing: framing, Config: logsink.Config{Policy: policy}})
				require.NoError(t, err, "NewConn")
				errs := newErrorLog()
				var once sync.Once
				var sentBefore uint64 // entries written whole to the first connection
				s := logsink.New(conn, logsink.WithBufferSize(4<<20), logsink.WithPolicy(policy), logsink.OnError(func(err error) {
					once.Do(func() { sentBefore = conn.Stats().Entries })
					errs.add(err)
				}))
				total := writeUntilError(t, s, errs)
				require.NoError(t, s.Close(), "Close delivers everything")
				col.waitEOF(2)
				require.Zero(t, s.Stats().Dropped, "the buffer took every entry")

				conns := col.received()
				require.Len(t, conns, 2, "one reset, one reconnection")
				first := numbers(t, messages(t, framing, conns[0]))
				second := numbers(t, messages(t, framing, conns[1]))
				assertSeq(t, 0, len(first), first, "the first connection carried whole entries in order")
				require.NotEmpty(t, second, "the second connection carried entries")
				assertSeq(t, second[0], total, second, "the second carries every entry from its first on, in order")
				st := conn.Stats()
				if policy == logsink.Block {
					assert.LessOrEqual(t, second[0], int(sentBefore), "it starts with the unacknowledged tail, or the entry whose write failed")
					assert.LessOrEqual(t, len(first)-second[0], int(st.Resent), "entries the collector read twice were sent again, and counted")
				} else {
					assert.Equal(t, int(sentBefore), second[0], "it starts with the entry whose write failed")
					assert.GreaterOrEqual(t, second[0], len(first), "no entry the collector read is sent twice")
				}

				assert.Equal(t, uint64(1), st.Reconnects, "reconnected once")
				require.NotEmpty(t, errs.all(), "OnError reported the failure")
				var ce *netsink.ConnError
				require.ErrorAs(t, errs.all()[0], &ce, "as a ConnError")
				// The entries between the last one the collector read and the
				// first sent again were lost with the connection: counted.
				var lost uint64
				for n := len(first); n < second[0]; n++ {
					lost += uint64(len(entry(n)))
				}
				assert.GreaterOrEqual(t, s.Stats().LostBytes, lost, "every lost entry counted in the stream's LostBytes")
				assert.Equal(t, s.Stats().LostBytes, st.LostBytes, "the Conn counts the same bytes")
				assert.Equal(t, st.LostEntries, uint64(ce.LostEntries), "the error says how many")
				t.Logf("collector read %d, second connection from %d, failed write at %d; resent %d, possibly lost %d",
					len(first), second[0], sentBefore, st.Resent, st.LostEntries)
			})
		}
	}
}

func TestStreamSurvivesCollectorRestart(t *testing.T) {
	// The collector goes away and comes back at the same address: Block
	// loses nothing, and the stream reports the dial failures meanwhile.
	col := newCollector(t, "tcp")
	addr := col.addr()
	conn, err := netsink.NewConn(netsink.Config{Address: addr, ReconnectMin: time.Millisecond, ReconnectMax: 5 * time.Millisecond})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add))
	for i := range 100 {
		_, _ = s.Write(entry(i))
	}
	require.NoError(t, s.Flush(), "Flush")
	col.wait("100 entries", func(conns [][]byte, _ []bool) bool { return len(lines(bytes.Join(conns, nil))) == 100 })
	col.close()

	for i := 100; i < 200; i++ {
		_, _ = s.Write(entry(i))
	}
	assert.Error(t, s.Flush(), "the collector is down")
	var ce *netsink.ConnError
	for {
		require.ErrorAs(t, errs.next(t), &ce, "a ConnError")
		if ce.Op == "dial" {
			break // the stream tried to reconnect
		}
	}

	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "listen again at %s", addr)
	col2 := &collector{t: t, ln: ln, stop: make(chan struct{}), changed: make(chan struct{})}
	col2.wg.Add(1)
	go col2.accept()
	defer col2.close()

	require.NoError(t, s.Close(), "Close delivers the rest")
	col2.waitEOF(1)
	got := append(numbers(t, lines(col.all())), numbers(t, lines(col2.all()))...)
	assertSeq(t, 0, 200, got, "nothing lost, in order")
	assert.Equal(t, uint64(1), conn.Stats().Reconnects, "reconnected")
}

func TestCloseWhileReconnectPending(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := sinktest.NewMockClock(start) // the reconnect wait never ends
	conn, err := netsink.NewConn(netsink.Config{Address: refusedAddr(t), Clock: clock})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add), logsink.WithCloseTimeout(50*time.Millisecond))
	_, err = s.Write(entry(0))
	require.NoError(t, err, "Write")
	assert.Error(t, s.Flush(), "the dial fails")
	var ce *netsink.ConnError
	require.ErrorAs(t, errs.next(t), &ce, "OnError reports it")
	assert.Equal(t, "dial", ce.Op, "a dial failure")
	assert.Equal(t, netsink.StateBackoff, conn.Stats().State, "a reconnect is pending")

	err = s.Close()
	assert.ErrorContains(t, err, "bytes not written", "Close gives up and says so")
	assert.Equal(t, netsink.StateClosed, conn.Stats().State, "the Conn is closed")
	n, err := conn.Write(entry(1))
	assert.Zero(t, n, "nothing written after Close")
	assert.ErrorIs(t, err, netsink.ErrClosed, "Write after Close")
}

func TestCloseInterruptsDial(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	entered := make(chan struct{})
	conn, err := netsink.NewConn(netsink.Config{
		Address:     "192.0.2.1:514", // TEST-NET-1: never dialled here
		DialTimeout: time.Hour,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			close(entered)
			<-ctx.Done() // a dial that hangs, as to a black hole
			return nil, ctx.Err()
		},
	})
	require.NoError(t, err, "NewConn")
	done := make(chan error)
	go func() {
		_, err := conn.Write(entry(0))
		done <- err
	}()
	<-entered
	require.NoError(t, conn.Close(), "Close")
	assert.ErrorIs(t, <-done, netsink.ErrClosed, "the dial was interrupted")
}

func TestDialTimeout(t *testing.T) {
	conn, err := netsink.NewConn(netsink.Config{
		Address:     "192.0.2.1:514",
		DialTimeout: 10 * time.Millisecond,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	})
	require.NoError(t, err, "NewConn")
	defer conn.Close()
	_, err = conn.Write(entry(0))
	var ce *netsink.ConnError
	require.ErrorAs(t, err, &ce, "the dial times out")
	assert.Equal(t, "dial", ce.Op, "a dial failure")
	assert.ErrorIs(t, ce.Err, context.DeadlineExceeded, "the cause")
	assert.True(t, ce.Timeout(), "a timeout")
}

// blockingConn is a net.Conn whose Write waits until a deadline in the
// past is set.
type blockingConn struct {
	net.Conn
	entered  chan struct{}
	once     sync.Once
	deadline chan struct{}
}

func (c *blockingConn) SetWriteDeadline(time.Time) error { return nil }

func (c *blockingConn) SetDeadline(t time.Time) error {
	if t.Before(time.Now()) {
		c.once.Do(func() { close(c.deadline) })
	}
	return nil
}

func (c *blockingConn) Write([]byte) (int, error) {
	close(c.entered)
	<-c.deadline
	return 0, errors.New("deadline in the past")
}

func TestCloseInterruptsWrite(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	col := newCollector(t, "tcp")
	defer col.close()
	bc := &blockingConn{entered: make(chan struct{}), deadline: make(chan struct{})}
	conn, err := netsink.NewConn(netsink.Config{
		Address: col.addr(),
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, address)
			bc.Conn = nc
			return bc, err
		},
	})
	require.NoError(t, err, "NewConn")
	done := make(chan error)
	go func() {
		_, err := conn.Write(entry(0))
		done <- err
	}()
	<-bc.entered
	require.NoError(t, conn.Close(), "Close")
	assert.ErrorIs(t, <-done, netsink.ErrClosed, "the write was interrupted")
}

func TestConnCloseTwice(t *testing.T) {
	conn, err := netsink.NewConn(netsink.Config{Address: "127.0.0.1:1"})
	require.NoError(t, err, "NewConn")
	assert.NoError(t, conn.Close(), "first Close")
	assert.NoError(t, conn.Close(), "second Close")
	_, err = conn.Write(entry(0))
	assert.ErrorIs(t, err, netsink.ErrClosed, "Write after Close")
	assert.Contains(t, conn.String(), "tcp 127.0.0.1:1", "String names the address")
}

func TestConnErrorIsNotPermanent(t *testing.T) {
	// A socket's EPIPE must not make the stream give up for good: the
	// ConnError around it does not unwrap to it.
	err := &netsink.ConnError{Op: "write", Network: "tcp", Address: "a:1", Err: syscall.EPIPE}
	assert.False(t, errors.Is(err, syscall.EPIPE), "ConnError does not unwrap to EPIPE")
	assert.Nil(t, errors.Unwrap(err), "ConnError does not unwrap")
	assert.Equal(t, "netsink: write tcp a:1: broken pipe", err.Error(), "message")
	err.Retry = 1500 * time.Millisecond
	assert.Equal(t, "netsink: write tcp a:1: broken pipe (next dial in 1.5s)", err.Error(), "message with the wait")

	// A net.OpError for the same operation already names it and the address.
	err = &netsink.ConnError{Op: "dial", Network: "tcp", Address: "a:1", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	assert.Equal(t, "netsink: dial tcp a:1: connect: connection refused", err.Error(), "message without repetition")
	assert.False(t, err.Timeout(), "not a timeout")
}

func TestStreamKeepsRetryingBrokenPipe(t *testing.T) {
	// Through a real stream: the collector resets the connection, the
	// write fails with EPIPE or ECONNRESET, and the stream carries on.
	col := newCollector(t, "tcp")
	col.resetFirstAfter(1)
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr()})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add))
	writeUntilError(t, s, errs)
	require.NoError(t, s.Close(), "Close")
	st := s.Stats()
	assert.Zero(t, st.Dropped, "no entry dropped: the failure was not permanent")
	assert.Positive(t, st.LostBytes, "what the reset connection carried is counted as possibly lost")
	assert.Equal(t, conn.Stats().LostBytes, st.LostBytes, "by the Conn and the stream alike")
	assert.Equal(t, uint64(1), conn.Stats().Reconnects, "reconnected")
}

// budgetConn is a net.Conn that takes a budget of bytes and then times
// out, as a socket whose peer stopped reading does.
type budgetConn struct {
	net.Conn // nil: only Write, Close and the deadlines are used
	mu       sync.Mutex
	budget   int
	got      []byte
	closed   bool
}

func (c *budgetConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(p), c.budget)
	c.budget -= n
	c.got = append(c.got, p[:n]...)
	if n < len(p) {
		return n, os.ErrDeadlineExceeded
	}
	return n, nil
}

func (c *budgetConn) give(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.budget += n
}

func (c *budgetConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *budgetConn) SetDeadline(time.Time) error      { return nil }
func (c *budgetConn) SetWriteDeadline(time.Time) error { return nil }

func (c *budgetConn) received() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.got)
}

func TestWriteTimeoutFinishesFrame(t *testing.T) {
	// A write that times out in the middle of a frame leaves the
	// connection up; the next Write, given the same entry again, finishes
	// the frame on it, so the collector sees every entry once and whole.
	var conns []*budgetConn
	conn, err := netsink.NewConn(netsink.Config{
		Address: "collector:514",
		Framing: netsink.Octet,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			bc := &budgetConn{budget: 150} // one frame and a half
			conns = append(conns, bc)
			return bc, nil
		},
	})
	require.NoError(t, err, "NewConn")
	p := batch(0, 10)
	n, err := conn.Write(p)
	var ce *netsink.ConnError
	require.ErrorAs(t, err, &ce, "the write times out")
	assert.True(t, ce.Timeout(), "a timeout")
	assert.Equal(t, "write", ce.Op, "a write failure")
	assert.Zero(t, ce.Retry, "the connection stays up")
	assert.Equal(t, len(entry(0)), n, "one whole entry delivered")
	assert.Equal(t, netsink.StateConnected, conn.Stats().State, "still connected")

	for n < len(p) {
		conns[0].give(130)
		m, err := conn.Write(p[n:])
		n += m
		if err != nil {
			require.ErrorAs(t, err, &ce, "a ConnError")
			require.True(t, ce.Timeout(), "only timeouts: %v", err)
		}
	}
	conns[0].give(1 << 20)
	n, err = conn.Write(batch(10, 12))
	require.NoError(t, err, "the connection carries on")
	assert.Equal(t, len(batch(10, 12)), n, "written")
	require.NoError(t, conn.Close(), "Close")
	require.Len(t, conns, 1, "one connection throughout")
	assertSeq(t, 0, 12, numbers(t, octetFrames(t, conns[0].received())), "every entry once, whole, in order")
	st := conn.Stats()
	assert.Zero(t, st.Resent, "nothing sent twice")
	assert.Equal(t, uint64(12), st.Entries, "entries counted")
	assert.Equal(t, uint64(len(conns[0].received())), st.Bytes, "bytes counted")
}

func TestWriteTimeoutEntryNotGivenAgain(t *testing.T) {
	// If the next Write does not start with the entry whose frame is half
	// written (the stream gave up on it), that frame cannot be finished:
	// the connection is dropped and the new entries go on a new one.
	var conns []*budgetConn
	clock := sinktest.NewMockClock(start)
	conn, err := netsink.NewConn(netsink.Config{
		Address: "collector:514",
		Framing: netsink.Octet,
		Clock:   clock,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			bc := &budgetConn{budget: 50}
			if len(conns) > 0 {
				bc.budget = 1 << 20
			}
			conns = append(conns, bc)
			return bc, nil
		},
	})
	require.NoError(t, err, "NewConn")
	n, err := conn.Write(batch(0, 1))
	assert.Zero(t, n, "no whole entry")
	require.Error(t, err, "the write times out")

	n, err = conn.Write(batch(1, 3))
	assert.Zero(t, n, "nothing written")
	var ce *netsink.ConnError
	require.ErrorAs(t, err, &ce, "the connection is given up")
	assert.Contains(t, ce.Error(), "was not written again", "the cause")
	assert.Equal(t, uint64(1), conn.Stats().Resent, "the torn entry is counted")
	assert.True(t, conns[0].closed, "the torn connection is closed")
	assert.Positive(t, ce.Retry, "it delivered nothing, so the next dial waits")

	clock.Add(ce.Retry)
	n, err = conn.Write(batch(1, 3))
	require.NoError(t, err, "a new connection")
	assert.Equal(t, len(batch(1, 3)), n, "written")
	require.NoError(t, conn.Close(), "Close")
	assertSeq(t, 1, 3, numbers(t, octetFrames(t, conns[1].received())), "the new connection has whole entries")
	st := conn.Stats()
	assert.Equal(t, uint64(2), st.Entries, "entries counted")
	assert.Equal(t, uint64(1), st.Resent, "one entry torn")
	assert.Equal(t, uint64(1), st.Disconnects, "one connection lost")
}
