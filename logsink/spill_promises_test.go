package logsink_test

import (
	"bytes"
	"errors"
	"os"
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

// The cases of the spill issue that live in the stream, each as it was
// reported. The store's own (segments, records, position, recovery) are
// in logsink/internal/spill; FuzzStream cuts the power under a stream.

// replay delivers what a spill directory holds through a new stream and
// returns it.
func replay(t *testing.T, dir string) string {
	t.Helper()
	w := sinktest.NewWriter()
	s, err := logsink.Open(w, logsink.WithSpill(dir, 0), logsink.WithCloseTimeout(10*time.Second))
	require.NoError(t, err, "a new stream on the spill")
	require.NoError(t, s.Close(), "the replaying stream's Close")
	return w.String()
}

// Sync said synced while the batch being written to a stalled collector
// was in memory only: a kill then lost it, counted nowhere.
func TestSpillSyncCoversTheBatchInFlight(t *testing.T) {
	w := sinktest.NewWriter()
	w.Hold()
	defer w.Release()
	dir := t.TempDir()
	s, err := logsink.Open(w, logsink.WithSpill(dir, 0), logsink.WithCloseTimeout(300*time.Millisecond),
		logsink.WithHighWaterMark(16))
	require.NoError(t, err)
	_, _ = s.Write([]byte("in flight, the destination stalls\n"))
	sinktest.Receive(t, w.Entered(), 5*time.Second, "the destination's Write")
	_, _ = s.Write([]byte("in the ring\n"))
	err = s.Sync()
	require.Error(t, err, "Sync cannot make the batch in flight durable while the destination holds it")
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	w.Release()
	require.NoError(t, s.Sync(), "once the destination takes it")
	require.NoError(t, s.Close())
	assert.Equal(t, "in flight, the destination stalls\nin the ring\n", w.String()+replay(t, dir), "each entry once")
}

// EPIPE is for good: the destination was called again, OnError fired
// three times, and spilled entries vanished, counted nowhere.
func TestSpillPermanentFailureLeavesTheSpill(t *testing.T) {
	w := sinktest.NewWriter()
	w.FailWrites(syscall.EPIPE, 0)
	var mu sync.Mutex
	var errs []error
	dir := t.TempDir()
	s, err := logsink.Open(w, logsink.WithSpill(dir, 0), logsink.WithBufferSize(256),
		logsink.OnError(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}))
	require.NoError(t, err)
	want := ""
	for i := range 4 {
		p := entry(0, i)
		want += string(p)
		_, err := s.Write(p)
		require.NoError(t, err)
	}
	err = s.Close()
	require.ErrorIs(t, err, syscall.EPIPE, "Close says why")
	require.ErrorIs(t, err, logsink.ErrLeftInSpill, "and that the rest waits in the spill")
	writes, _, _ := w.Counts()
	assert.Equal(t, 1, writes, "the destination is not called again after EPIPE")
	st := s.Stats()
	assert.Zero(t, st.LostBytes, "nothing lost: %s", st)
	mu.Lock()
	pipes := 0
	for _, e := range errs {
		if errors.Is(e, syscall.EPIPE) {
			pipes++
		}
	}
	mu.Unlock()
	assert.Equal(t, 1, pipes, "EPIPE reported once")
	assert.Equal(t, want, replay(t, dir), "the next stream delivers every entry")
}

// rotationRecorder notes how much it had taken at each Rotate.
type rotationRecorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	fails  int // Writes left to fail with EIO
	rotate []int
}

func (r *rotationRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails > 0 {
		r.fails--
		return 0, syscall.EIO
	}
	return r.buf.Write(p)
}

func (r *rotationRecorder) Rotate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rotate = append(r.rotate, r.buf.Len())
	return nil
}

// Rotate returned before an entry whose Write returned before it reached
// the destination, so the entry landed in the new file: a race with the
// spiller, about half of the runs.
func TestSpillRotateAfterEveryEarlierEntry(t *testing.T) {
	rotated := 0
	defer func() { t.Logf("%d of 20 runs rotated", rotated) }()
	for run := range 20 {
		d := &rotationRecorder{fails: 1}
		s, err := logsink.Open(d, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096),
			logsink.WithSpill(t.TempDir(), 0))
		require.NoError(t, err)
		_, _ = s.Write([]byte(strings.Repeat("a", 187) + "\n"))
		_ = s.Sync()
		_, _ = s.Write([]byte(strings.Repeat("b", 4086) + "\n"))
		rotErr := s.Rotate()
		require.NoError(t, s.Close(), "run %d", run)
		d.mu.Lock()
		if rotErr != nil {
			// The destination still failed: no rotation, and Rotate says so.
			assert.ErrorIs(t, rotErr, syscall.EIO, "run %d", run)
			assert.Empty(t, d.rotate, "run %d: no rotation after a failed flush", run)
		} else {
			rotated++
			require.Len(t, d.rotate, 1, "run %d", run)
			assert.Equal(t, 188+4087, d.rotate[0], "run %d: both entries in the old file", run)
		}
		assert.Equal(t, 188+4087, d.buf.Len(), "run %d: both delivered", run)
		d.mu.Unlock()
	}
}

// When Close gave up and saved the batch in flight in the spill, its error
// did not match ErrLeftInSpill, and bytes could be counted both lost and
// spilled.
func TestSpillCloseGivingUpSavesAndSaysSo(t *testing.T) {
	w := sinktest.NewWriter()
	w.Hold()
	dir := t.TempDir()
	s, err := logsink.Open(w, logsink.WithSpill(dir, 0), logsink.WithCloseTimeout(200*time.Millisecond),
		logsink.WithHighWaterMark(16))
	require.NoError(t, err)
	_, _ = s.Write([]byte("in flight\n"))
	sinktest.Receive(t, w.Entered(), 5*time.Second, "the destination's Write")
	_, _ = s.Write([]byte("in the ring\n"))
	err = s.Close()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Close gave up on the hung Write")
	require.ErrorIs(t, err, logsink.ErrLeftInSpill, "and saved what it held in the spill")
	st := s.Stats()
	assert.Zero(t, st.LostBytes, "saved, not lost: %s", st)
	w.Release()
	sinktest.Receive(t, logsink.FlusherDone(s), 5*time.Second, "the flusher's exit once released")
	got := w.String() + replay(t, dir)
	// The hung Write took the batch in flight once released: it is also
	// in the spill, the one duplicate the spill allows.
	assert.Equal(t, "in flight\nin flight\nin the ring\n", got)
}
