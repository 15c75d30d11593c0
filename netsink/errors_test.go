package netsink_test

import (
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

func TestErrClosedMatchesBothClosedErrors(t *testing.T) {
	assert.ErrorIs(t, netsink.ErrClosed, logsink.ErrClosed, "a write after close, as the stream's")
	assert.ErrorIs(t, netsink.ErrClosed, fs.ErrClosed, "permanent for the stream in front")
	assert.ErrorIs(t, netsink.ErrClosed, netsink.ErrClosed, "itself")
	assert.NotErrorIs(t, netsink.ErrClosed, netsink.ErrNotConnected, "not a wait")

	conn, err := netsink.NewConn(netsink.Config{Address: "127.0.0.1:1"})
	require.NoError(t, err, "NewConn")
	require.NoError(t, conn.Close(), "Close")
	_, err = conn.WriteEntries(entry(0), []int{len(entry(0))})
	assert.ErrorIs(t, err, logsink.ErrClosed, "WriteEntries after Close")
	assert.ErrorIs(t, err, fs.ErrClosed, "WriteEntries after Close")
}

func TestWaitErrorCarriesLastDialError(t *testing.T) {
	clock := sinktest.NewMockClock(start) // the reconnect wait never ends
	conn, err := netsink.NewConn(netsink.Config{Address: refusedAddr(t), Clock: clock})
	require.NoError(t, err, "NewConn")
	defer conn.Close()
	_, err = conn.Write(entry(0))
	var ce *netsink.ConnError
	require.ErrorAs(t, err, &ce, "the dial fails")
	require.Equal(t, "dial", ce.Op, "a dial error")

	_, err = conn.Write(entry(0))
	require.ErrorAs(t, err, &ce, "waiting")
	assert.Equal(t, "wait", ce.Op, "no dial during the wait")
	assert.ErrorIs(t, err, netsink.ErrNotConnected, "still ErrNotConnected")
	assert.ErrorIs(t, ce.Err, syscall.ECONNREFUSED, "the cause holds the dial's error")
	assert.NotErrorIs(t, err, syscall.ECONNREFUSED, "the ConnError itself does not unwrap (no permanent failure)")
	assert.Contains(t, err.Error(), "not connected, waiting to reconnect (last dial: connect: connection refused)", "the message says why")

	// A wait with no dial error (the connection was lost) says only that.
	msg := (&netsink.ConnError{Op: "wait", Network: "tcp", Address: "a:1", Err: netsink.ErrNotConnected, Retry: time.Second}).Error()
	assert.Equal(t, "netsink: wait tcp a:1: netsink: not connected, waiting to reconnect (next dial in 1s)", msg, "a wait without a dial error")
}

func TestCloseAndSyncSayWhyNeverConnected(t *testing.T) {
	tests := []struct {
		desc    string
		network string
		addr    func(t *testing.T) string
		want    string
	}{
		{desc: "connection refused", network: "tcp", addr: refusedAddr, want: "connection refused"},
		{desc: "no such socket", network: "unix", addr: func(t *testing.T) string { return t.TempDir() + "/none.sock" }, want: "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			clock := sinktest.NewMockClock(start) // the reconnect wait never ends
			conn, err := netsink.NewConn(netsink.Config{Proto: tt.network, Address: tt.addr(t), Clock: clock})
			require.NoError(t, err, "NewConn")
			s := logsink.New(conn, logsink.WithCloseTimeout(100*time.Millisecond))
			_, err = s.Write(entry(0))
			require.NoError(t, err, "Write")
			assert.ErrorContains(t, s.Flush(), tt.want, "Flush: the dial")
			err = s.Sync()
			assert.ErrorContains(t, err, tt.want, "Sync during the wait says why")
			assert.ErrorIs(t, err, netsink.ErrNotConnected, "Sync: not connected")
			err = s.Close()
			assert.ErrorContains(t, err, "bytes not written", "Close gives up")
			assert.ErrorContains(t, err, tt.want, "Close says why")
		})
	}
}

func TestWriteEntriesRefusesBadEnds(t *testing.T) {
	col := newCollector(t, "tcp")
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Framing: netsink.Octet})
	require.NoError(t, err, "NewConn")
	p := batch(0, 2)
	one := len(entry(0))
	tests := []struct {
		desc string
		ends []int
	}{
		{desc: "no end", ends: []int{}},
		{desc: "decreasing", ends: []int{one, one - 5, len(p)}},
		{desc: "equal", ends: []int{one, one, len(p)}},
		{desc: "zero first", ends: []int{0, len(p)}},
		{desc: "short of the batch", ends: []int{one}},
		{desc: "past the batch", ends: []int{one, len(p) + 10}},
	}
	for _, tt := range tests {
		n, err := conn.WriteEntries(p, tt.ends)
		assert.Zero(t, n, "%s: nothing taken", tt.desc)
		assert.ErrorIs(t, err, logsink.ErrBadEnds, "%s: refused", tt.desc)
	}
	assert.Zero(t, conn.Stats().Connects, "bad ends never reach the network")

	n, err := conn.WriteEntries(p, []int{one, len(p)})
	require.NoError(t, err, "good ends")
	assert.Equal(t, len(p), n, "all taken")
	require.NoError(t, conn.Close(), "Close")
	col.waitEOF(1)
	assert.Equal(t, []string{string(trimNL(entry(0))), string(trimNL(entry(1)))}, octetFrames(t, col.all()), "two messages")
}

func trimNL(b []byte) []byte { return b[:len(b)-1] }
