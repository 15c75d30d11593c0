package logsink_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The cases of the trust issue: each one a combination of features that
// broke a promise. The model checker (FuzzStream) looks for the next.

// endsRecorder is an EntryWriter that records every call's entries as the
// ends cut them, and what was wrong with the ends.
type endsRecorder struct {
	mu      sync.Mutex
	entries []string
	bad     []error
}

func (e *endsRecorder) Write(p []byte) (int, error) { return e.WriteEntries(p, []int{len(p)}) }

func (e *endsRecorder) WriteEntries(p []byte, ends []int) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := logsink.CheckEnds(p, ends); err != nil {
		e.bad = append(e.bad, err)
		return 0, err
	}
	start := 0
	for _, end := range ends {
		e.entries = append(e.entries, string(p[start:end]))
		start = end
	}
	return len(p), nil
}

func (e *endsRecorder) got() ([]string, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.entries...), append([]error(nil), e.bad...)
}

func TestEmptyWrite(t *testing.T) {
	t.Run("stores and counts nothing", func(t *testing.T) {
		s, w, _ := newStream(t)
		for _, p := range [][]byte{nil, {}} {
			n, err := s.Write(p)
			assert.Equal(t, 0, n, "Write(%v)", p)
			assert.NoError(t, err, "Write(%v)", p)
			n, err = s.WriteKeep(p)
			assert.Equal(t, 0, n, "WriteKeep(%v)", p)
			assert.NoError(t, err, "WriteKeep(%v)", p)
		}
		_, err := fmt.Fprint(s, "")
		assert.NoError(t, err, "fmt.Fprint of nothing")
		assert.Zero(t, s.Buffered(), "nothing buffered")
		require.NoError(t, s.Close())
		st := s.Stats()
		assert.Zero(t, st.Entries+st.Dropped, "no entry accepted or dropped: %s", st)
		writes, _, _ := w.Counts()
		assert.Zero(t, writes, "the destination was never called")
	})
	t.Run("after close is ErrClosed", func(t *testing.T) {
		s, _, _ := newStream(t)
		require.NoError(t, s.Close())
		_, err := s.Write(nil)
		assert.ErrorIs(t, err, logsink.ErrClosed)
		_, err = s.WriteKeep([]byte{})
		assert.ErrorIs(t, err, logsink.ErrClosed)
	})
	t.Run("between entries keeps their ends", func(t *testing.T) {
		// Write(1016B), WriteKeep(0B), Write(328B) panicked in ring.take.
		dst := &endsRecorder{}
		s := logsink.New(dst, logsink.WithBufferSize(1024))
		a, b := strings.Repeat("a", 1015)+"\n", strings.Repeat("b", 327)+"\n"
		_, err := s.Write([]byte(a))
		require.NoError(t, err)
		_, err = s.WriteKeep(nil)
		require.NoError(t, err)
		_, err = s.Write([]byte(b))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		entries, bad := dst.got()
		assert.Empty(t, bad, "bad ends")
		assert.Equal(t, []string{a, b}, entries, "two entries, whole")
	})
	t.Run("never merges two entries at an EntryWriter", func(t *testing.T) {
		// Over netsink's octet framing this sent "first\nsecond\n" as one
		// syslog message.
		dst := &endsRecorder{}
		s := logsink.New(dst)
		_, _ = s.Write([]byte("zero\n"))
		require.NoError(t, s.Flush())
		_, _ = s.Write(nil)
		_, _ = s.Write([]byte("first\n"))
		_, _ = s.Write([]byte("second\n"))
		require.NoError(t, s.Close())
		entries, bad := dst.got()
		assert.Empty(t, bad, "bad ends")
		assert.Equal(t, []string{"zero\n", "first\n", "second\n"}, entries)
	})
	t.Run("before an entry under Block", func(t *testing.T) {
		// Write(0B), Write(83B), Close: Close said "83 bytes not written:
		// %!w(<nil>)".
		s, w, _ := newStream(t, logsink.WithBufferSize(256))
		_, _ = s.Write(nil)
		p := strings.Repeat("c", 82) + "\n"
		_, _ = s.Write([]byte(p))
		require.NoError(t, s.Close())
		assert.Equal(t, p, w.String())
	})
	t.Run("with a spill and a failing destination", func(t *testing.T) {
		// Panicked the spiller within 100ms.
		w := sinktest.NewWriter()
		w.FailWrites(syscall.EIO, 0)
		s, err := logsink.Open(w, logsink.WithSpill(t.TempDir(), 0), logsink.WithBufferSize(4096),
			logsink.WithCloseTimeout(500*time.Millisecond))
		require.NoError(t, err)
		for range 2000 {
			_, _ = s.Write([]byte("abc\n"))
			_, _ = s.Write(nil)
		}
		w.FailWrites(nil, 0)
		require.NoError(t, s.Close())
		assert.Equal(t, strings.Repeat("abc\n", 2000), w.String(), "every entry once, in order")
	})
	t.Run("with a spill while the destination fails then recovers", func(t *testing.T) {
		// x was never delivered nor counted, and y never left the ring.
		w := sinktest.NewWriter()
		w.FailWrites(syscall.EIO, 0)
		s, err := logsink.Open(w, logsink.WithSpill(t.TempDir(), 0), logsink.WithFlushInterval(time.Millisecond))
		require.NoError(t, err)
		_, _ = s.Write([]byte("a\n"))
		_, _ = s.Write(nil)
		_, _ = s.Write([]byte("x\n"))
		require.NoError(t, s.Sync(), "Sync with a spill while the destination fails")
		w.FailWrites(nil, 0)
		_, _ = s.Write([]byte("y\n"))
		require.NoError(t, s.Close())
		assert.Equal(t, "a\nx\ny\n", w.String())
		st := s.Stats()
		assert.Zero(t, st.SpillBytes, "nothing left in the spill: %s", st)
		assert.Zero(t, st.LostBytes, "nothing lost: %s", st)
	})
}

// hungSyncer is a destination whose Write or Sync hangs until released.
type hungSyncer struct {
	*sinktest.Writer
	syncHangs bool          // set before the stream starts
	syncGate  chan struct{} // closed once, by release
	once      sync.Once
}

func (h *hungSyncer) Sync() error {
	if h.syncHangs {
		<-h.syncGate
	}
	return h.Writer.Sync()
}

func (h *hungSyncer) release() {
	h.Release()
	h.once.Do(func() { close(h.syncGate) })
}

func TestRequestsBoundedWithSpill(t *testing.T) {
	const closeTimeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name string
		hang func(h *hungSyncer)
	}{
		{"write hangs", func(h *hungSyncer) { h.Hold() }},
		{"sync hangs", func(h *hungSyncer) { h.syncHangs = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &hungSyncer{Writer: sinktest.NewWriter(), syncGate: make(chan struct{})}
			tc.hang(h)
			release := h.release
			defer release()
			s, err := logsink.Open(h, logsink.WithSpill(t.TempDir(), 0), logsink.WithCloseTimeout(closeTimeout))
			require.NoError(t, err)
			_, _ = s.Write([]byte("first\n"))
			for _, req := range []struct {
				name string
				call func() error
			}{{"Flush", s.Flush}, {"Sync", s.Sync}, {"Sync again", s.Sync}} {
				sinktest.Bounded(t, closeTimeout+2*time.Second, req.name, func() { _ = req.call() })
			}
			sinktest.Bounded(t, closeTimeout+2*time.Second, "Close", func() { _ = s.Close() })
			release()
			sinktest.Receive(t, logsink.FlusherDone(s), 5*time.Second, "the flusher's exit once released")
		})
	}
}

// Fatal with a hung collector and a spill never exited: NewCore syncs
// after Fatal, and that Sync waited forever.
func TestFatalReturnsWithHungDestinationAndSpill(t *testing.T) {
	w := sinktest.NewWriter()
	w.Hold()
	defer w.Release()
	s, err := logsink.Open(w, logsink.WithSpill(t.TempDir(), 0), logsink.WithCloseTimeout(200*time.Millisecond))
	require.NoError(t, err)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel), zap.WithFatalHook(zapcore.WriteThenGoexit))
	logger.Info("before")
	// The flusher is idle: Fatal's Sync reaches it, and its Write hangs.
	done := make(chan struct{})
	go func() {
		defer close(done)
		logger.Fatal("cannot go on")
	}()
	sinktest.Receive(t, done, 5*time.Second, "logger.Fatal returning to its hook")
	_ = s.Close()
	w.Release()
	sinktest.Receive(t, logsink.FlusherDone(s), 5*time.Second, "the flusher's exit once released")
}

func TestDrained(t *testing.T) {
	t.Run("without waiting for a tick", func(t *testing.T) {
		// Every drain waited a full flush interval (1s by default).
		s, w, _ := newStream(t) // default options: drains at 16 KiB, batches of 256 KiB
		defer s.Close()
		pad := strings.Repeat("p", 80)
		for i := range 1000 {
			_, err := s.Write(fmt.Appendf(nil, "%s %06d\n", pad, i))
			require.NoError(t, err)
			if s.NeedDrain() {
				// The mock clock never moves: only the producer's wait
				// can start the flusher.
				sinktest.Receive(t, s.Drained(), 5*time.Second, fmt.Sprintf("the drain after entry %d", i))
			}
		}
		require.NoError(t, s.Flush())
		assert.Len(t, w.Lines(), 1000)
	})
	t.Run("after a permanent failure", func(t *testing.T) {
		s, w, _ := newStream(t, logsink.WithHighWaterMark(16), logsink.WithBufferSize(4096))
		defer s.Close()
		w.Hold()
		w.FailWrites(syscall.EPIPE, 0)
		_, _ = s.Write([]byte(strings.Repeat("p", 31) + "\n"))
		require.True(t, s.NeedDrain(), "past the high-water mark")
		drained := s.Drained()
		w.Release()
		sinktest.Receive(t, drained, 5*time.Second, "the drain after EPIPE")
		assert.False(t, s.NeedDrain(), "NeedDrain after EPIPE")
	})
	t.Run("after Close gave up", func(t *testing.T) {
		w := sinktest.NewWriter() // a real clock: Close's timeout must pass
		s := logsink.New(w, logsink.WithHighWaterMark(16), logsink.WithBufferSize(4096),
			logsink.WithCloseTimeout(100*time.Millisecond))
		w.Hold()
		_, _ = s.Write([]byte(strings.Repeat("h", 31) + "\n"))
		require.True(t, s.NeedDrain(), "past the high-water mark")
		drained := s.Drained()
		sinktest.Receive(t, w.Entered(), 5*time.Second, "the destination's Write")
		err := s.Close()
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Close gave up on the hung Write")
		sinktest.Receive(t, drained, time.Second, "the drain once Close returned")
		assert.False(t, s.NeedDrain(), "NeedDrain after Close")
		w.Release()
		sinktest.Receive(t, logsink.FlusherDone(s), 5*time.Second, "the flusher's exit once released")
	})
}

// A drop summary was stored after Close gave up, and counted as accepted
// without ever being written or counted as lost.
func TestNothingAcceptedAfterCloseGaveUp(t *testing.T) {
	w := sinktest.NewWriter()
	closed := make(chan struct{})
	s := logsink.New(w,
		logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(256), logsink.WithCloseTimeout(100*time.Millisecond),
		logsink.WithFlushInterval(time.Millisecond),
		logsink.WithDropSummary(func(b []byte, _ time.Time, n, _ uint64) []byte { return fmt.Appendf(b, "dropped %d\n", n) }),
		logsink.OnClose(func() { close(closed) }))
	w.Hold()
	_, _ = s.Write([]byte("0123456789abcde\n"))
	sinktest.Receive(t, w.Entered(), 5*time.Second, "the destination's Write")
	for range 3 {
		_, _ = s.Write([]byte(strings.Repeat("d", 255) + "\n"))
	}
	err := s.Close()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Close gave up on the hung Write")
	select {
	case <-closed:
	default:
		t.Fatal("OnClose had not run when Close returned")
	}
	before := s.Stats()
	w.Release()
	sinktest.Receive(t, logsink.FlusherDone(s), 5*time.Second, "the flusher's exit once released")
	after := s.Stats()
	assert.Equal(t, before.Entries, after.Entries, "entries accepted after Close returned")
	assert.Equal(t, after.Bytes, uint64(len(w.String()))+after.LostBytes, "written + lost = accepted: %s", after)
	assert.NotContains(t, w.String(), "dropped", "no summary written after Close gave up")
	if errors.Is(err, logsink.ErrLeftInSpill) {
		t.Fatal("no spill here")
	}
}

// badEndsDest refuses every batch as an EntryWriter does when the ends it
// is handed do not fit: the stream must count it as lost, report it once
// and not retry it.
type badEndsDest struct {
	mu    sync.Mutex
	calls int
}

func (d *badEndsDest) Write(p []byte) (int, error) { return len(p), nil }

func (d *badEndsDest) WriteEntries(p []byte, ends []int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	return 0, fmt.Errorf("refused: %w", logsink.ErrBadEnds)
}

func TestBadEndsCountedAsLostOnce(t *testing.T) {
	d := &badEndsDest{}
	var errs []error
	var mu sync.Mutex
	s := logsink.New(d, logsink.OnError(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}))
	_, _ = s.Write([]byte("one\n"))
	require.NoError(t, s.Flush())
	_, _ = s.Write([]byte("two\n"))
	require.NoError(t, s.Close())
	st := s.Stats()
	assert.Equal(t, uint64(8), st.LostBytes, "both batches lost: %s", st)
	d.mu.Lock()
	assert.Equal(t, 2, d.calls, "each batch tried once, not retried")
	d.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, errs, 1, "reported once")
	assert.ErrorIs(t, errs[0], logsink.ErrBadEnds)
}
