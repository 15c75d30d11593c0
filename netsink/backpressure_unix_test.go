//go:build unix

package netsink_test

import (
	"context"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// withSmallRecvBuffer gives the collector's connections a small receive
// buffer (set on the listener, so that accepted sockets start with it and
// the window stays small), so that a held collector backs up at once.
func withSmallRecvBuffer() collectorOption {
	return func(_ *collector, lc *net.ListenConfig) {
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			return setBuffer(rc, syscall.SO_RCVBUF)
		}
	}
}

// smallSendDial dials with a small send buffer.
func smallSendDial(ctx context.Context, network, address string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return setBuffer(rc, syscall.SO_SNDBUF)
	}}
	return d.DialContext(ctx, network, address)
}

func setBuffer(rc syscall.RawConn, opt int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, 4096)
	})
	if err != nil {
		return err
	}
	return serr
}

const (
	bpBuffer  = 16 << 10
	bpEntries = 3000 // about 300KB: far more than the buffer and the sockets hold
)

func TestBackpressureBlock(t *testing.T) {
	col := newCollector(t, "tcp", withSmallRecvBuffer())
	col.hold() // a collector that stops reading
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Dial: smallSendDial})
	require.NoError(t, err, "NewConn")
	s := logsink.New(conn, logsink.WithBufferSize(bpBuffer), logsink.WithHighWaterMark(4<<10))

	var written atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range bpEntries {
			_, _ = s.Write(entry(i))
			written.Add(1)
		}
	}()
	// Nothing can leave while the collector holds: once the buffer has no
	// room for another entry, the producer waits.
	require.Eventually(t, func() bool { return s.Buffered()+len(entry(0)) > bpBuffer },
		waitLimit, time.Millisecond, "the buffer fills")
	select {
	case <-done:
		t.Fatal("the producer finished while the collector was not reading")
	default:
	}
	assert.Less(t, written.Load(), int64(bpEntries), "the producer is held back")
	assert.True(t, s.NeedDrain(), "NeedDrain reports the pressure")
	assert.Zero(t, s.Stats().Dropped, "Block drops nothing")

	col.release()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("the producer did not finish after the collector read again")
	}
	require.NoError(t, s.Close(), "Close")
	col.waitEOF(1)
	assertSeq(t, 0, bpEntries, numbers(t, lines(col.all())), "every entry, in order")
	assert.Zero(t, s.Stats().Dropped, "nothing dropped")
	assert.Equal(t, uint64(1), conn.Stats().Connects, "one connection")
}

func TestBackpressureDrop(t *testing.T) {
	col := newCollector(t, "tcp", withSmallRecvBuffer())
	col.hold()
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), Dial: smallSendDial})
	require.NoError(t, err, "NewConn")
	var dropped atomic.Int64
	s := logsink.New(conn, logsink.WithBufferSize(bpBuffer), logsink.WithHighWaterMark(4<<10),
		logsink.WithPolicy(logsink.Drop), logsink.OnDrop(func(entries, _ int) { dropped.Add(int64(entries)) }))

	// Drop never waits: this loop ends while the collector still holds.
	for i := range bpEntries {
		_, err := s.Write(entry(i))
		require.NoError(t, err, "Write %d", i)
	}
	st := s.Stats()
	assert.Positive(t, st.Dropped, "entries were dropped")
	assert.Equal(t, uint64(bpEntries), st.Entries+st.Dropped, "every entry accepted or dropped")

	col.release()
	require.NoError(t, s.Close(), "Close")
	col.waitEOF(1)
	got := numbers(t, lines(col.all()))
	st = s.Stats()
	assert.Equal(t, int(st.Entries), len(got), "every accepted entry delivered")
	assert.Equal(t, bpEntries, len(got)+int(st.Dropped), "delivered + dropped = written")
	assert.Equal(t, int64(st.Dropped), dropped.Load(), "OnDrop reported every drop")
	for i := 1; i < len(got); i++ {
		if !assert.Less(t, got[i-1], got[i], "in order, no duplicates") {
			break
		}
	}
}
