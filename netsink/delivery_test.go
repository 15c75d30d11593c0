package netsink_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

func TestPeerClosedWhileIdle(t *testing.T) {
	// A collector that closes an idle connection is noticed within a
	// flush interval, without a write: a disconnect, one OnError with a
	// ConnError, and the next entries go on a new connection.
	col := newCollector(t, "tcp")
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr()})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add), logsink.WithFlushInterval(confirmTick))
	for i := range 10 {
		_, err := s.Write(entry(i))
		require.NoError(t, err, "Write %d", i)
	}
	require.NoError(t, s.Flush(), "Flush")
	col.wait("10 entries", func(conns [][]byte, _ []bool) bool { return len(lines(col.all())) == 10 })
	waitConfirmed(t, conn)

	col.closeConns()
	var ce *netsink.ConnError
	require.ErrorAs(t, errs.next(t), &ce, "OnError reports a ConnError")
	assert.Equal(t, "check", ce.Op, "found by the check of an idle connection")
	assert.ErrorIs(t, ce, netsink.ErrPeerClosed, "the cause")
	assert.Zero(t, ce.LostEntries, "the collector had confirmed every entry")
	st := conn.Stats()
	assert.Equal(t, uint64(1), st.Disconnects, "a disconnect counted")
	assert.Equal(t, netsink.StateIdle, st.State, "the next write dials")

	for i := 10; i < 20; i++ {
		_, err := s.Write(entry(i))
		require.NoError(t, err, "Write %d", i)
	}
	require.NoError(t, s.Close(), "Close")
	col.waitEOF(2)
	assertSeq(t, 0, 20, numbers(t, lines(col.all())), "nothing lost")
	assert.Len(t, errs.all(), 1, "one error for one disconnect")
	assert.Zero(t, s.Stats().LostBytes, "nothing counted as lost")
	assert.Equal(t, uint64(1), conn.Stats().Reconnects, "reconnected")
}

func TestCloseConfirmsDelivery(t *testing.T) {
	// Close half-closes the connection and waits for the collector to
	// read everything and close its end: then nothing is at risk.
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			col := newCollector(t, network, withSmallRecvBuffer())
			col.hold() // Close must wait for the reader
			conn, err := netsink.NewConn(netsink.Config{Proto: network, Address: col.addr()})
			require.NoError(t, err, "NewConn")
			s := logsink.New(conn)
			for i := range 1000 {
				_, err := s.Write(entry(i))
				require.NoError(t, err, "Write %d", i)
			}
			require.NoError(t, s.Flush(), "Flush")
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			col.release()
			select {
			case err := <-closed:
				require.NoError(t, err, "Close: the collector read everything")
			case <-time.After(waitLimit):
				t.Fatal("Close did not return")
			}
			col.waitEOF(1)
			assertSeq(t, 0, 1000, numbers(t, lines(col.all())), "every entry")
			st := conn.Stats()
			assert.Zero(t, st.LostBytes, "nothing at risk")
			assert.Zero(t, st.Unconfirmed, "everything confirmed")
			assert.Zero(t, s.Stats().LostBytes, "the stream lost nothing")
		})
	}
}

func TestCloseCountsUnread(t *testing.T) {
	// A collector that stops reading: Close waits at most the close
	// timeout for it, then counts what it had not read as possibly lost
	// and says so.
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			col := newCollector(t, network, withSmallRecvBuffer())
			col.hold()
			conn, err := netsink.NewConn(netsink.Config{Proto: network, Address: col.addr()})
			require.NoError(t, err, "NewConn")
			const closeTimeout = 200 * time.Millisecond
			errs := newErrorLog()
			s := logsink.New(conn, logsink.WithCloseTimeout(closeTimeout), logsink.OnError(errs.add))
			const n = 10 // fits in the socket buffers: every write succeeds
			for i := range n {
				_, err := s.Write(entry(i))
				require.NoError(t, err, "Write %d", i)
			}
			require.NoError(t, s.Flush(), "Flush: the kernel took every entry")

			closed := make(chan error, 1)
			start := time.Now()
			go func() { closed <- s.Close() }()
			var cerr error
			select {
			case cerr = <-closed:
			case <-time.After(waitLimit):
				t.Fatal("Close did not return")
			}
			assert.Less(t, time.Since(start), closeTimeout+5*time.Second, "Close is bounded by the close timeout")
			require.ErrorIs(t, cerr, netsink.ErrNotConfirmed, "Close says delivery is not confirmed")
			assert.Contains(t, cerr.Error(), "10 entries", "and how many entries are at risk")
			st := conn.Stats()
			assert.Equal(t, uint64(n), st.LostEntries, "every unread entry counted")
			assert.Equal(t, uint64(n*len(entry(0))), st.LostBytes, "with its bytes")
			assert.Equal(t, st.LostBytes, s.Stats().LostBytes, "in the stream's LostBytes too")
			var ce *netsink.ConnError
			require.ErrorAs(t, errs.next(t), &ce, "OnError reports it")
			assert.Equal(t, "close", ce.Op, "at close")
		})
	}
}

func TestDefaultMaxMessageSize(t *testing.T) {
	// On tcp an entry longer than 64KiB is truncated, at a rune boundary,
	// and counted, unless the limit is lifted.
	long := strings.Repeat("é", 50_000) // 100,000 bytes
	tests := []struct {
		desc      string
		give      netsink.MessageSize
		want      int
		truncated uint64
	}{
		{desc: "default", give: 0, want: 64 << 10, truncated: 1},
		{desc: "no limit", give: netsink.NoMessageLimit, want: len(long), truncated: 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			col := newCollector(t, "tcp")
			conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Framing: netsink.Octet, MaxMessageSize: tt.give})
			require.NoError(t, err, "NewConn")
			s := logsink.New(conn)
			_, err = s.Write([]byte(long))
			require.NoError(t, err, "Write")
			require.NoError(t, s.Close(), "Close")
			col.waitEOF(1)
			frames := octetFrames(t, col.all())
			require.Len(t, frames, 1, "one message")
			assert.Equal(t, tt.want, len(frames[0]), "its length")
			assert.True(t, strings.HasPrefix(long, frames[0]), "a prefix of the entry, cut between runes")
			assert.Equal(t, tt.truncated, conn.Stats().Truncated, "truncations counted")
		})
	}
}
