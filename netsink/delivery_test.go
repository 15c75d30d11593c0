package netsink_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
	// On tcp an entry longer than 8096 bytes (rsyslog's default limit; it
	// was 64KiB, changed on purpose for issue 25) is truncated, at a rune
	// boundary, marked and counted, unless the limit is lifted.
	long := strings.Repeat("é", 50_000) // 100,000 bytes
	tests := []struct {
		desc      string
		give      netsink.MessageSize
		want      int
		truncated uint64
	}{
		{desc: "default", give: 0, want: 8096, truncated: 1},
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
			msg := frames[0]
			if tt.truncated > 0 {
				require.True(t, strings.HasSuffix(msg, netsink.TruncationMarker), "marked as cut: %q", msg[max(0, len(msg)-20):])
				msg = strings.TrimSuffix(msg, netsink.TruncationMarker)
				assert.GreaterOrEqual(t, len(frames[0]), tt.want-1, "as long as the limit allows, less a rune's cut")
			}
			assert.LessOrEqual(t, len(frames[0]), tt.want, "its length")
			if tt.truncated == 0 {
				assert.Equal(t, tt.want, len(frames[0]), "its length")
			}
			assert.True(t, strings.HasPrefix(long, msg), "a prefix of the entry, cut between runes")
			assert.True(t, utf8.ValidString(msg), "valid UTF-8")
			assert.Equal(t, tt.truncated, conn.Stats().Truncated, "truncations counted")
		})
	}
}

func TestBlockResendsUnacknowledgedTail(t *testing.T) {
	// The collector stops reading, so entries back up in its socket
	// (acknowledged by its kernel, unread) and in ours (not acknowledged),
	// then it dies: a reset. Under Block the entries its kernel never
	// acknowledged go again on the next connection, first; those it had
	// acknowledged and not read are counted as possibly lost. Under Drop
	// all of them are counted and none is sent again.
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		t.Run(policy.String(), func(t *testing.T) {
			col := newCollector(t, "tcp", withSmallRecvBuffer())
			col.hold()
			conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Dial: smallSendDial,
				WriteTimeout: 50 * time.Millisecond, Config: logsink.Config{Policy: policy}})
			require.NoError(t, err, "NewConn")
			s := logsink.New(conn, logsink.WithPolicy(policy), logsink.WithBufferSize(1<<20))
			const total = 500 // about 50KB: more than both sockets hold
			for i := range total {
				_, err := s.Write(entry(i))
				require.NoError(t, err, "Write %d", i)
			}
			require.Eventually(t, func() bool { return conn.Stats().WriteErrors > 0 }, waitLimit, time.Millisecond,
				"the sockets fill up and a write times out")
			written := int(conn.Stats().Entries) // whole to the first connection

			col.wait("the connection", func(conns [][]byte, _ []bool) bool { return len(conns) == 1 })
			col.resetConns()
			col.release()
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			select {
			case err := <-closed:
				require.NoError(t, err, "Close: the second connection delivers the rest")
			case <-time.After(waitLimit):
				t.Fatal("Close did not return")
			}
			col.waitEOF(2)
			conns := col.received()
			require.Len(t, conns, 2, "one reset, one reconnection")
			assert.Empty(t, conns[0], "the first connection was never read")
			second := numbers(t, messages(t, netsink.Lines, conns[1]))
			require.NotEmpty(t, second, "the second connection carried entries")
			assertSeq(t, second[0], total, second, "the second connection carries every entry from its first on, once, in order")
			st := conn.Stats()
			if policy == logsink.Block {
				assert.Less(t, second[0], written, "it starts with entries the first connection had taken: the unacknowledged tail")
				assert.GreaterOrEqual(t, int(st.Resent), written-second[0], "counted as resent")
			} else {
				assert.GreaterOrEqual(t, second[0], written, "nothing the first connection had taken is sent again")
			}
			var lost uint64
			for i := range second[0] {
				lost += uint64(len(entry(i)))
			}
			assert.Equal(t, uint64(second[0]), st.LostEntries, "every entry that did not arrive is counted, and no other")
			assert.Equal(t, lost, st.LostBytes, "with its bytes")
			assert.Equal(t, lost, s.Stats().LostBytes, "in the stream's LostBytes too")
			t.Logf("%d entries written whole to the first connection; the second from %d; resent %d", written, second[0], st.Resent)
		})
	}
}

func TestCloseResendsUnacknowledgedTail(t *testing.T) {
	// Every entry was handed to the kernel when the collector died, some
	// of them still unacknowledged (its window was full): no entry of the
	// stream's makes it write again, so Close sends the unacknowledged
	// tail on a connection of its own.
	col := newCollector(t, "tcp", withSmallRecvBuffer())
	col.hold()
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr()})
	require.NoError(t, err, "NewConn")
	s := logsink.New(conn)
	const total = 100 // about 10KB: more than the collector's window, less than our send buffer
	for i := range total {
		_, err := s.Write(entry(i))
		require.NoError(t, err, "Write %d", i)
	}
	require.NoError(t, s.Flush(), "Flush: the kernel took every entry")
	require.Equal(t, uint64(total), conn.Stats().Entries, "every entry written whole")

	col.wait("the connection", func(conns [][]byte, _ []bool) bool { return len(conns) == 1 })
	col.resetConns()
	col.release()
	cerr := s.Close() // sends the tail again and confirms it
	col.waitEOF(2)
	conns := col.received()
	require.Len(t, conns, 2, "a second connection, made by Close")
	assert.Empty(t, conns[0], "the first connection was never read")
	second := numbers(t, messages(t, netsink.Lines, conns[1]))
	require.NotEmpty(t, second, "the second connection carried the tail")
	assertSeq(t, second[0], total, second, "the tail, in order")
	st := conn.Stats()
	assert.Equal(t, uint64(total-second[0]), st.Resent, "counted as resent")
	assert.Equal(t, uint64(second[0]), st.LostEntries, "what its kernel had acknowledged is counted as possibly lost")
	var ce *netsink.ConnError
	require.ErrorAs(t, cerr, &ce, "Close reports it")
	assert.Equal(t, second[0], ce.LostEntries, "with the count")
	assert.Equal(t, "close", ce.Op, "found at Close")
	t.Logf("the collector's kernel had acknowledged %d of %d entries", second[0], total)
}
