package logsink_test

import (
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

var epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// entry returns a line that names its writer and sequence number.
func entry(writer, seq int) []byte {
	return fmt.Appendf(nil, "w%d-%06d\n", writer, seq)
}

// newStream returns a stream over a fresh sinktest.Writer, driven by a mock
// clock so that only the high-water mark and requests trigger flushes.
func newStream(t *testing.T, opts ...logsink.Option) (*logsink.Stream, *sinktest.Writer, *sinktest.MockClock) {
	t.Helper()
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(epoch)
	s := logsink.New(w, append([]logsink.Option{logsink.WithClock(clk)}, opts...)...)
	return s, w, clk
}

func TestWriteOrderAcrossGoroutines(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []logsink.Option
	}{
		{"defaults", nil},
		{"tiny buffer", []logsink.Option{logsink.WithBufferSize(64), logsink.WithHighWaterMark(16)}},
		{"tiny buffer keep under drop", []logsink.Option{logsink.WithBufferSize(64), logsink.WithPolicy(logsink.Drop)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, w, _ := newStream(t, tt.opts...)
			const writers, perWriter = 4, 500
			var wg sync.WaitGroup
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perWriter {
						_, err := s.WriteKeep(entry(g, i))
						assert.NoError(t, err, "WriteKeep")
					}
				}()
			}
			wg.Wait()
			require.NoError(t, s.Close(), "Close")

			next := make([]int, writers)
			for _, line := range w.Lines() {
				var g, i int
				_, err := fmt.Sscanf(line, "w%d-%d\n", &g, &i)
				require.NoError(t, err, "line %q is not whole", line)
				require.Equal(t, next[g], i, "writer %d out of order", g)
				next[g]++
			}
			for g := range writers {
				assert.Equal(t, perWriter, next[g], "entries of writer %d", g)
			}
			st := s.Stats()
			assert.Equal(t, uint64(writers*perWriter), st.Entries, "Stats.Entries")
			assert.Zero(t, st.Dropped, "Stats.Dropped")
		})
	}
}

func TestDropAccounting(t *testing.T) {
	var mu sync.Mutex
	var hookEntries, hookBytes int
	s, w, _ := newStream(t,
		logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(1000),
		logsink.OnDrop(func(entries, bytes int) {
			mu.Lock()
			defer mu.Unlock()
			hookEntries += entries
			hookBytes += bytes
		}),
	)
	w.Hold() // the destination stalls: the buffer fills and Drop decides

	const writers, perWriter = 4, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				p := entry(g, i)
				n, err := s.Write(p)
				assert.NoError(t, err, "Write under Drop never fails")
				assert.Equal(t, len(p), n, "Write under Drop returns len(p)")
			}
		}()
	}
	wg.Wait()
	st := s.Stats()
	assert.Equal(t, uint64(writers*perWriter), st.Entries+st.Dropped, "Entries + Dropped = Write calls")
	assert.NotZero(t, st.Dropped, "a stalled destination makes Drop drop")
	assert.Equal(t, st.Dropped*uint64(len(entry(0, 0))), st.DroppedBytes, "DroppedBytes")

	w.Release()
	require.NoError(t, s.Close(), "Close")
	st = s.Stats()
	assert.Len(t, w.Lines(), int(st.Entries), "every accepted entry is written")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, int(st.Dropped), hookEntries, "OnDrop entries")
	assert.Equal(t, int(st.DroppedBytes), hookBytes, "OnDrop bytes")
}

func TestBlockWaitsForRoom(t *testing.T) {
	s, w, _ := newStream(t, logsink.WithBufferSize(20), logsink.WithHighWaterMark(10))
	w.Hold()
	_, err := s.Write([]byte("0123456789\n")) // 11 bytes: past the mark, a flush starts
	require.NoError(t, err)
	<-w.Entered() // the flusher is stuck in the destination with those bytes

	_, err = s.Write([]byte("abcdefgh\n")) // 11+9 = 20 bytes: the buffer is full
	require.NoError(t, err)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, err := s.Write([]byte("ABCDEFGHIJKLMNOPQR\n"))
		assert.NoError(t, err, "blocked Write")
	}()
	select {
	case <-wrote:
		t.Fatal("Write returned while the buffer was full")
	default:
	}
	assert.Equal(t, uint64(0), s.Stats().Dropped, "Block drops nothing")
	w.Release()
	<-wrote
	require.NoError(t, s.Close())
	assert.Equal(t, "0123456789\nabcdefgh\nABCDEFGHIJKLMNOPQR\n", w.String(), "all entries, in order")
}

func TestBlockTimeoutDrops(t *testing.T) {
	s, w, clk := newStream(t,
		logsink.WithBufferSize(16),
		logsink.WithBlockTimeout(50*time.Millisecond),
	)
	w.Hold()
	_, err := s.Write([]byte("0123456789abcde\n")) // fills the buffer exactly
	require.NoError(t, err)
	<-w.Entered() // the flusher holds the bytes, so its ticker exists

	tickers := clk.Tickers()
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err := s.Write([]byte("late\n"))
		assert.NoError(t, err, "a timed-out Write is a drop, not an error")
		assert.Equal(t, 5, n, "n")
	}()
	clk.WaitTickers(tickers + 1) // the writer is waiting on its timeout
	clk.Add(50 * time.Millisecond)
	<-done
	st := s.Stats()
	assert.Equal(t, uint64(1), st.Dropped, "the timed-out entry is dropped")
	assert.Equal(t, uint64(5), st.DroppedBytes, "its bytes")

	w.Release()
	require.NoError(t, s.Close())
	assert.Equal(t, "0123456789abcde\n", w.String(), "only the first entry")
}

func TestEntryLargerThanBuffer(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 200)
	big = append(big, '\n')

	t.Run("block writes it whole and in order", func(t *testing.T) {
		s, w, _ := newStream(t, logsink.WithBufferSize(64))
		for _, p := range [][]byte{[]byte("before\n"), big, []byte("after\n")} {
			_, err := s.Write(p)
			require.NoError(t, err)
		}
		require.NoError(t, s.Close())
		assert.Equal(t, "before\n"+string(big)+"after\n", w.String())
		assert.Zero(t, s.Stats().Dropped, "Dropped")
	})
	t.Run("drop drops it into an empty buffer too", func(t *testing.T) {
		s, w, _ := newStream(t, logsink.WithBufferSize(64), logsink.WithPolicy(logsink.Drop))
		for _, write := range []func([]byte) (int, error){s.Write, s.WriteKeep} {
			n, err := write(big)
			require.NoError(t, err)
			require.Equal(t, len(big), n)
			assert.Zero(t, s.Buffered(), "the buffer never holds more than its size")
		}
		require.NoError(t, s.Close())
		assert.Empty(t, w.String())
		assert.Equal(t, uint64(2), s.Stats().Dropped, "Dropped")
	})
	t.Run("drop drops it", func(t *testing.T) {
		s, w, _ := newStream(t, logsink.WithBufferSize(64), logsink.WithPolicy(logsink.Drop))
		for _, p := range [][]byte{[]byte("before\n"), big, []byte("after\n")} {
			n, err := s.Write(p)
			require.NoError(t, err)
			require.Equal(t, len(p), n)
		}
		require.NoError(t, s.Close())
		assert.Equal(t, "before\nafter\n", w.String())
		st := s.Stats()
		assert.Equal(t, uint64(1), st.Dropped, "Dropped")
		assert.Equal(t, uint64(len(big)), st.DroppedBytes, "DroppedBytes")
	})
}

func TestHooksFireOnceInOrder(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	var w *sinktest.Writer
	var s *logsink.Stream
	s, w, _ = newStream(t,
		logsink.OnFinish(func() {
			_, syncs, _ := w.Counts()
			record(fmt.Sprintf("finish %q syncs=%d", w.String(), syncs))
		}),
		logsink.OnClose(func() {
			_, _, closes := w.Counts()
			record(fmt.Sprintf("close closes=%d", closes))
		}),
		logsink.OnError(func(err error) { record("error " + err.Error()) }),
	)
	_, err := s.Write([]byte("last words\n"))
	require.NoError(t, err)
	assert.False(t, s.Ended(), "Ended before Close")
	assert.False(t, s.Finished(), "Finished before Close")

	require.NoError(t, s.Close(), "first Close")
	require.NoError(t, s.Close(), "second Close")
	require.NoError(t, s.End(nil), "End after Close")

	assert.Equal(t, []string{
		`finish "last words\n" syncs=1`,
		"close closes=1",
	}, events, "finish after the final flush and sync, close after the destination's Close, once each")
	assert.True(t, s.Ended(), "Ended")
	assert.True(t, s.Finished(), "Finished")
}

func TestWriteAfterEnd(t *testing.T) {
	s, w, _ := newStream(t)
	require.NoError(t, s.End([]byte("the end\n")), "End with a last entry")
	before := s.Stats()

	n, err := s.Write([]byte("too late\n"))
	assert.ErrorIs(t, err, logsink.ErrClosed, "Write")
	assert.Zero(t, n, "n")
	_, err = s.WriteKeep([]byte("too late\n"))
	assert.ErrorIs(t, err, logsink.ErrClosed, "WriteKeep")
	assert.ErrorIs(t, s.End([]byte("again\n")), logsink.ErrClosed, "End with an entry")
	assert.ErrorIs(t, s.Sync(), logsink.ErrClosed, "Sync")
	assert.ErrorIs(t, s.Flush(), logsink.ErrClosed, "Flush")
	assert.Equal(t, before, s.Stats(), "nothing changes")
	assert.Equal(t, "the end\n", w.String())
	_, _, closes := w.Counts()
	assert.Equal(t, 1, closes, "destination closed exactly once")
}

func TestDrain(t *testing.T) {
	drains := make(chan struct{}, 10)
	s, w, _ := newStream(t, logsink.WithHighWaterMark(10), logsink.OnDrain(func() { drains <- struct{}{} }))
	select {
	case <-s.Drained():
	default:
		t.Fatal("Drained is closed when no drain is due")
	}
	w.Hold()
	_, err := s.Write([]byte("12345\n"))
	require.NoError(t, err)
	assert.False(t, s.NeedDrain(), "below the mark")
	_, err = s.Write([]byte("67890\n"))
	require.NoError(t, err)
	assert.True(t, s.NeedDrain(), "at the mark")
	drained := s.Drained()
	<-w.Entered()
	select {
	case <-drained:
		t.Fatal("drained while the destination holds the bytes")
	default:
	}
	assert.Equal(t, 12, s.Buffered(), "Buffered counts the chunk being written")
	w.Release()
	<-drained
	<-drains
	assert.False(t, s.NeedDrain(), "after drain")
	assert.Zero(t, s.Buffered(), "Buffered after drain")
	require.NoError(t, s.Close())
	assert.Empty(t, drains, "OnDrain fires once per drain")
}

func TestRetryAfterFailure(t *testing.T) {
	var errs []error
	var mu sync.Mutex
	s, w, clk := newStream(t,
		logsink.WithHighWaterMark(1), // every entry starts a flush
		logsink.OnError(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}),
	)
	w.FailWrites(syscall.ENOSPC, 0)
	_, err := s.Write([]byte("kept through a full disk\n"))
	require.NoError(t, err)
	assert.ErrorIs(t, s.Flush(), syscall.ENOSPC, "Flush reports the failure")
	assert.Equal(t, len("kept through a full disk\n"), s.Buffered(), "the bytes stay buffered")

	w.FailWrites(nil, 0)
	drained := s.Drained()
	clk.Add(time.Second) // past any backoff: the flusher retries by itself
	<-drained
	assert.Equal(t, "kept through a full disk\n", w.String(), "written once after recovery")

	assert.NoError(t, s.Sync(), "Sync reports what it could not do, not a healed failure")
	require.NoError(t, s.Close())
	st := s.Stats()
	assert.GreaterOrEqual(t, st.Errors, uint64(1), "Errors")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs, "OnError")
	assert.ErrorIs(t, errs[0], syscall.ENOSPC)
	assert.Equal(t, int(st.Errors), len(errs), "OnError fires for every counted failure")
}

func TestPartialWriteKeepsRest(t *testing.T) {
	s, w, _ := newStream(t)
	w.FailWrites(syscall.EIO, 4)
	_, err := s.Write([]byte("first\n"))
	require.NoError(t, err)
	_, err = s.Write([]byte("second\n"))
	require.NoError(t, err)
	assert.ErrorIs(t, s.Flush(), syscall.EIO)
	assert.Equal(t, "firs", w.String(), "the destination took 4 bytes")
	assert.Equal(t, len("t\nsecond\n"), s.Buffered(), "the rest stays buffered")

	w.FailWrites(nil, 0)
	_, err = s.Write([]byte("third\n"))
	require.NoError(t, err)
	require.NoError(t, s.Flush())
	assert.Equal(t, "first\nsecond\nthird\n", w.String(), "nothing lost or repeated")
	require.NoError(t, s.Close())
}

func TestPermanentFailure(t *testing.T) {
	for _, give := range []error{syscall.EPIPE, syscall.EBADF, io.ErrClosedPipe} {
		t.Run(give.Error(), func(t *testing.T) {
			var mu sync.Mutex
			var errs []error
			s, w, _ := newStream(t, logsink.OnError(func(err error) {
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
			}))
			w.FailWrites(give, 0)
			_, err := s.Write([]byte("lost\n"))
			require.NoError(t, err)
			assert.ErrorIs(t, s.Flush(), give, "Flush reports the failure")
			for range 10 {
				_, err := s.WriteKeep([]byte("dropped\n"))
				require.NoError(t, err, "entries after a permanent failure are dropped, not blocked")
			}
			assert.ErrorIs(t, s.Sync(), give, "Sync")
			assert.ErrorIs(t, s.Sync(), give, "Sync keeps reporting it")
			err = s.Close()
			assert.ErrorIs(t, err, give, "Close")
			assert.Contains(t, err.Error(), "5 bytes lost", "Close says what was lost")
			st := s.Stats()
			assert.Equal(t, uint64(10), st.Dropped, "Dropped")
			assert.Equal(t, uint64(5), st.LostBytes, "LostBytes")
			mu.Lock()
			defer mu.Unlock()
			assert.Len(t, errs, 1, "OnError fires once")
			writes, _, closes := w.Counts()
			assert.Equal(t, 1, writes, "no retries")
			assert.Equal(t, 1, closes, "closed once")
		})
	}
}

func TestSyncIgnoresUnsyncableDestinations(t *testing.T) {
	for _, tt := range []struct {
		give    error
		wantErr bool
	}{
		{syscall.EINVAL, false},
		{syscall.ENOTSUP, false},
		{syscall.ENOTTY, false},
		{syscall.EIO, true},
	} {
		t.Run(tt.give.Error(), func(t *testing.T) {
			s, w, _ := newStream(t)
			w.FailSync(tt.give)
			_, err := s.Write([]byte("x\n"))
			require.NoError(t, err)
			err = s.Sync()
			if tt.wantErr {
				assert.ErrorIs(t, err, tt.give, "Sync")
			} else {
				assert.NoError(t, err, "Sync")
			}
			assert.Equal(t, "x\n", w.String(), "Sync flushes first")
			w.FailSync(nil)
			require.NoError(t, s.Close())
		})
	}
}

func TestCloseGivesUpOnFailingDestination(t *testing.T) {
	// The real clock: Close shares its timeout out between the flusher's
	// retries and its own waits, and a mock clock driven from the test
	// would run them in an order no real clock does.
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithCloseTimeout(time.Second))
	w.FailWrites(syscall.EIO, 0)
	_, err := s.Write([]byte("never written\n"))
	require.NoError(t, err)

	var closeErr error
	sinktest.Bounded(t, hangBound, "Close", func() { closeErr = s.Close() })
	assert.ErrorIs(t, closeErr, syscall.EIO, "Close wraps the last failure")
	assert.Contains(t, closeErr.Error(), "14 bytes not written", "Close says how much was lost")
	assert.Equal(t, uint64(14), s.Stats().LostBytes, "LostBytes")
	assert.False(t, s.Finished(), "not finished")
	_, _, closes := w.Counts()
	assert.Equal(t, 1, closes, "destination still closed")
}

func TestReadFromLines(t *testing.T) {
	long := strings.Repeat("y", 100<<10) + "\n"
	input := "one\ntwo\n" + long + "unterminated"
	s, w, _ := newStream(t)
	n, err := s.ReadFrom(strings.NewReader(input))
	require.NoError(t, err)
	assert.Equal(t, int64(len(input)), n, "bytes read")
	require.NoError(t, s.Close())
	assert.Equal(t, input, w.String())
	assert.Equal(t, uint64(4), s.Stats().Entries, "one entry per line")
}

func TestReadFromNeverTearsLinesUnderDrop(t *testing.T) {
	var input strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&input, "line-%05d-%s\n", i, strings.Repeat("z", i%50))
	}
	s, w, _ := newStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(512))
	w.Hold()
	go func() {
		<-w.Entered()
		w.Release()
	}()
	_, err := s.ReadFrom(strings.NewReader(input.String()))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	valid := make(map[string]bool)
	for _, l := range strings.SplitAfter(input.String(), "\n") {
		valid[l] = true
	}
	lines := w.Lines()
	for _, l := range lines {
		require.True(t, valid[l], "torn line %q", l)
	}
	st := s.Stats()
	assert.Equal(t, uint64(5000), st.Entries+st.Dropped, "every line accounted for")
	assert.Len(t, lines, int(st.Entries), "every accepted line written")
}

func TestNilDestination(t *testing.T) {
	s := logsink.New(nil)
	n, err := s.Write([]byte("x\n"))
	assert.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, uint64(1), s.Stats().Dropped, "dropped and counted")
	assert.ErrorContains(t, s.Sync(), "nil destination")
	assert.ErrorContains(t, s.Close(), "nil destination")
}

func TestFlushInterval(t *testing.T) {
	s, w, clk := newStream(t, logsink.WithFlushInterval(time.Second))
	_, err := s.Write([]byte("small\n"))
	require.NoError(t, err)
	w.Hold()
	clk.WaitTickers(1) // the flusher's interval ticker
	clk.Add(time.Second)
	<-w.Entered() // the tick, not the high-water mark, started this write
	w.Release()
	require.NoError(t, s.Close())
	assert.Equal(t, "small\n", w.String())
}

func TestStatsIsExpvar(t *testing.T) {
	s, _, _ := newStream(t)
	_, err := s.Write([]byte("abc"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	var v expvar.Var = s.Stats()
	var got map[string]uint64
	require.NoError(t, json.Unmarshal([]byte(v.String()), &got), "String is JSON")
	assert.Equal(t, uint64(1), got["entries"])
	assert.Equal(t, uint64(3), got["bytes"])
	assert.Equal(t, uint64(1), got["flushes"])
}

func TestCloseRacesWrites(t *testing.T) {
	s, w, _ := newStream(t, logsink.WithBufferSize(256), logsink.WithHighWaterMark(64))
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				_, err := s.Write(entry(g, i))
				mu.Lock()
				if err != nil {
					refused++
					mu.Unlock()
					assert.ErrorIs(t, err, logsink.ErrClosed)
					return
				}
				accepted++
				mu.Unlock()
			}
		}()
	}
	for s.Stats().Entries < 1000 {
		runtimeYield()
	}
	require.NoError(t, s.Close())
	wg.Wait()
	st := s.Stats()
	assert.Len(t, w.Lines(), accepted, "every accepted entry was written before Close returned")
	assert.Equal(t, uint64(accepted), st.Entries, "Entries")
	assert.Equal(t, 4, refused, "each writer saw ErrClosed")
	assert.Equal(t, uint64(accepted)+st.Dropped, st.Entries+st.Dropped)
}

func TestOptionsClamp(t *testing.T) {
	for _, tt := range []struct {
		name string
		give []logsink.Option
		want int
	}{
		{"default", nil, logsink.DefaultHighWaterMark},
		{"set", []logsink.Option{logsink.WithHighWaterMark(100)}, 100},
		{"clamped to buffer", []logsink.Option{logsink.WithBufferSize(50), logsink.WithHighWaterMark(100)}, 50},
		{"negative means default", []logsink.Option{logsink.WithHighWaterMark(-1)}, logsink.DefaultHighWaterMark},
		{"nil option", []logsink.Option{nil}, logsink.DefaultHighWaterMark},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := logsink.New(io.Discard, tt.give...)
			assert.Equal(t, tt.want, s.HighWaterMark())
			require.NoError(t, s.Close())
		})
	}
}

func TestRotateWithoutRotator(t *testing.T) {
	s, _, _ := newStream(t)
	assert.ErrorIs(t, s.Rotate(), logsink.ErrNotRotatable)
	assert.ErrorIs(t, s.Reopen(), logsink.ErrNotReopenable)
	require.NoError(t, s.Close())
}

func TestWriteAllocs(t *testing.T) {
	s := logsink.New(io.Discard)
	defer func() { require.NoError(t, s.Close()) }()
	p := []byte(`{"level":"info","msg":"hello"}` + "\n")
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = s.Write(p)
	})
	assert.Zero(t, allocs, "Write allocates")
}

// runtimeYield lets other goroutines run while a test spins on a mock
// clock or a counter; it is not a sleep.
func runtimeYield() { runtime.Gosched() }

// retryLater is a destination error that names the earliest useful retry.
type retryLater struct{ d time.Duration }

func (e retryLater) Error() string             { return "not yet" }
func (e retryLater) RetryAfter() time.Duration { return e.d }

func TestRetryAfterHint(t *testing.T) {
	s, w, clk := newStream(t)
	w.FailWrites(retryLater{d: 5 * time.Second}, 0)
	_, err := s.Write([]byte("later\n"))
	require.NoError(t, err)
	tickers := clk.Tickers()
	require.Error(t, s.Flush(), "the first try")
	clk.WaitTickers(tickers + 1)
	periods := clk.Periods()
	assert.Equal(t, 5*time.Second, periods[len(periods)-1], "the retry waits as long as the error says, not the 10ms backoff")

	w.FailWrites(nil, 0)
	require.NoError(t, s.Close())
	assert.Equal(t, "later\n", w.String())
}

// A writer waiting for room is served before later writers: under Drop, a
// later entry that would fit is dropped rather than take the room a kept
// entry waits for.
func TestWaitersGoFirst(t *testing.T) {
	// The mark at the buffer size: only the waiting writer wakes the flusher.
	s, w, _ := newStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(20), logsink.WithHighWaterMark(20))
	w.Hold()
	_, err := s.Write([]byte("aaaaaaaaaaaaaa\n")) // 15 bytes
	require.NoError(t, err)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		_, err := s.WriteKeep([]byte("bbbbbbbbb\n")) // 10 bytes: waits
		assert.NoError(t, err)
	}()
	<-w.Entered() // the waiting writer woke the flusher, now stuck in the destination

	_, err = s.Write([]byte("cc\n")) // 3 bytes would fit, but a writer waits
	require.NoError(t, err)
	assert.Equal(t, uint64(1), s.Stats().Dropped, "the later entry is dropped")
	w.Release()
	<-kept
	require.NoError(t, s.Close())
	assert.Equal(t, "aaaaaaaaaaaaaa\nbbbbbbbbb\n", w.String(), "the waiting entry got the room")
}

// Block writers queued for room are served in the order they queued.
func TestBlockedWritersInOrder(t *testing.T) {
	s, w, _ := newStream(t, logsink.WithBufferSize(10))
	w.Hold()
	_, err := s.Write([]byte("full-full\n"))
	require.NoError(t, err)
	<-w.Entered()
	done := make(chan struct{})
	for i := range 5 {
		go func() {
			defer func() { done <- struct{}{} }()
			_, err := s.Write(fmt.Appendf(nil, "waiter-%d\n", i))
			assert.NoError(t, err)
		}()
		for logsink.WaitersOf(s) < i+1 { // queued before the next one starts
			runtimeYield()
		}
	}
	w.Release()
	for range 5 {
		<-done
	}
	require.NoError(t, s.Close())
	assert.Equal(t, "full-full\nwaiter-0\nwaiter-1\nwaiter-2\nwaiter-3\nwaiter-4\n", w.String(), "first come, first served")
}

// A request that finds the destination working again ends the backoff:
// background flushes resume at once instead of when the retry would fire.
func TestRecoveryEndsBackoff(t *testing.T) {
	s, w, _ := newStream(t, logsink.WithHighWaterMark(1))
	w.FailWrites(retryLater{d: time.Hour}, 0)
	_, err := s.Write([]byte("first\n"))
	require.NoError(t, err)
	require.Error(t, s.Flush(), "the failing try starts an hour-long wait")
	w.FailWrites(nil, 0)
	require.NoError(t, s.Flush(), "the destination works again")

	w.Hold()
	_, err = s.Write([]byte("second\n")) // past the mark: a background flush
	require.NoError(t, err)
	<-w.Entered() // without the fix, nothing writes for an hour of mock time
	w.Release()
	require.NoError(t, s.Close())
	assert.Equal(t, "first\nsecond\n", w.String())
}
