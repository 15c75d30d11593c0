package logsink_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// hangBound is how long a call that must not hang may take in these tests:
// far more than any of them needs, far less than the test timeout.
const hangBound = 10 * time.Second

// A hook that logs through its own stream is the first hook anyone writes.
// With the destination failing and the buffer full, the hook used to wait
// for room that only the flusher could free, on the flusher: every writer,
// Sync and Close then hung.
func TestHookThatLogsDoesNotDeadlock(t *testing.T) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		for _, hook := range []string{"OnError", "OnDrop"} {
			t.Run(policy.String()+"/"+hook, func(t *testing.T) {
				w := sinktest.NewWriter()
				var logger *zap.Logger
				opts := []logsink.Option{
					logsink.WithPolicy(policy),
					logsink.WithBufferSize(1024),
					logsink.WithHighWaterMark(256),
					logsink.WithBlockTimeout(5 * time.Millisecond), // Block writers give up: the test is about the hook
					logsink.WithCloseTimeout(time.Second),
				}
				if hook == "OnError" {
					opts = append(opts, logsink.OnError(func(err error) {
						logger.Error("log destination failed", zap.Error(err))
					}))
				} else {
					opts = append(opts, logsink.OnDrop(func(entries, bytes int) {
						logger.Warn("log entries dropped", zap.Int("entries", entries), zap.Int("bytes", bytes))
					}))
				}
				s := logsink.New(w, opts...)
				logger = zap.New(logsink.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), s, zap.InfoLevel))
				w.FailWrites(syscall.EIO, 0)

				sinktest.Bounded(t, hangBound, "logging while the destination fails", func() {
					for i := range 60 {
						logger.Info("request served", zap.Int("i", i))
					}
				})
				sinktest.Bounded(t, hangBound, "Sync", func() {
					assert.Error(t, s.Sync(), "Sync reports the failing destination")
				})
				w.FailWrites(nil, 0)
				sinktest.Bounded(t, hangBound, "Close", func() { _ = s.Close() })
				assert.Contains(t, w.String(), "request served", "entries reach the destination once it heals")
			})
		}
	}
}

// Close used to wait forever for a destination Write that never returns (a
// stalled stdout reader, a hung network mount): the close timeout only
// bounded retries after errors.
func TestCloseBoundedWhenDestinationHangs(t *testing.T) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		t.Run(policy.String(), func(t *testing.T) {
			w := sinktest.NewWriter()
			closed := make(chan struct{})
			s := logsink.New(w, logsink.WithPolicy(policy), logsink.WithHighWaterMark(1),
				logsink.WithCloseTimeout(time.Second), logsink.OnClose(func() { close(closed) }))
			w.Hold()
			_, err := s.Write([]byte("stuck in the destination\n"))
			require.NoError(t, err)
			sinktest.Receive(t, w.Entered(), hangBound, "the flusher entering Write") // a Write that will not return
			_, err = s.Write([]byte("still buffered\n"))
			require.NoError(t, err)

			var closeErr error
			start := time.Now()
			sinktest.Bounded(t, hangBound, "Close", func() { closeErr = s.Close() })
			took := time.Since(start)
			require.Error(t, closeErr, "Close reports what it could not write")
			assert.ErrorIs(t, closeErr, os.ErrDeadlineExceeded)
			assert.Contains(t, closeErr.Error(), "40 bytes not written", "the error says how much")
			assert.Equal(t, uint64(40), s.Stats().LostBytes, "LostBytes counts the stuck and the buffered bytes")
			assert.Less(t, took, hangBound, "Close returned after %s", took)
			select {
			case <-closed:
			default:
				t.Error("Close returned before OnClose ran")
			}
			_, err = s.Write([]byte("after close\n"))
			assert.ErrorIs(t, err, logsink.ErrClosed, "later Writes return ErrClosed")
			assert.ErrorIs(t, s.Sync(), logsink.ErrClosed, "later Syncs return ErrClosed")

			// The flusher is the one thing left behind: it exits when the
			// destination's call returns, and takes back what it wrote.
			w.Release()
			select {
			case <-logsink.FlusherDone(s):
			case <-time.After(hangBound):
				t.Fatal("the flusher did not exit after the stuck Write returned")
			}
			assert.Equal(t, uint64(len("still buffered\n")), s.Stats().LostBytes,
				"the bytes the stuck Write delivered are no longer counted lost")
			assert.Equal(t, "stuck in the destination\n", w.String())
			_, _, closes := w.Counts()
			assert.Equal(t, 1, closes, "the destination is closed once its call returned")
		})
	}
}

// Sync, Flush and the other requests are bounded by the close timeout too.
func TestRequestsBoundedWhenDestinationHangs(t *testing.T) {
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithHighWaterMark(1), logsink.WithCloseTimeout(200*time.Millisecond))
	w.Hold()
	_, err := s.Write([]byte("stuck\n"))
	require.NoError(t, err)
	sinktest.Receive(t, w.Entered(), hangBound, "the flusher entering Write")
	for name, call := range map[string]func() error{"Sync": s.Sync, "Flush": s.Flush} {
		sinktest.Bounded(t, hangBound, name, func() {
			assert.ErrorIs(t, call(), os.ErrDeadlineExceeded, "%s gives up after the close timeout", name)
		})
	}
	w.Release()
	require.NoError(t, s.Close())
	assert.Equal(t, "stuck\n", w.String())
}

// Under Drop, NewCore's warnings and errors used to wait forever for a
// stuck destination, through WriteKeep; now the keep timeout bounds them.
func TestKeepTimeoutBoundsKeptEntriesUnderDrop(t *testing.T) {
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(epoch)
	var drops []int
	s := logsink.New(w, logsink.WithClock(clk), logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(256), logsink.WithHighWaterMark(64), logsink.WithKeepTimeout(time.Second),
		logsink.OnDrop(func(entries, _ int) { drops = append(drops, entries) }))
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel))
	w.Hold()
	for i := 0; s.Stats().Dropped == 0; i++ {
		require.Less(t, i, 1000, "a held destination makes entries drop")
		logger.Info("filler entry to fill the buffer")
	}
	dropped := s.Stats().Dropped
	tickers := clk.Tickers()

	done := make(chan struct{})
	go func() {
		defer close(done)
		logger.Warn("a warning that waits at most the keep timeout")
	}()
	clk.WaitTickers(tickers + 1) // the warning waits, on a keep-timeout timer
	select {
	case <-done:
		t.Fatal("the warning returned before the keep timeout though nothing freed room")
	default:
	}
	clk.Add(time.Second)
	sinktest.Bounded(t, hangBound, "the warning", func() { <-done })
	assert.Equal(t, dropped+1, s.Stats().Dropped, "the warning is dropped and counted after the keep timeout")

	w.Release()
	require.NoError(t, s.Sync())
	logger.Info("after the stall")
	require.NoError(t, s.Close())
	lines := coreLines(t, w)
	var reported uint64
	for _, l := range lines {
		if l.summary() {
			reported += *l.DroppedEntries
		}
	}
	assert.Equal(t, s.Stats().Dropped, reported, "the summaries include the warning dropped after the keep timeout")
}

// Under Block, WriteKeep waits as long as it takes: the keep timeout is for
// Drop only.
func TestKeepTimeoutIgnoredUnderBlock(t *testing.T) {
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(epoch)
	s := logsink.New(w, logsink.WithClock(clk), logsink.WithBufferSize(64), logsink.WithHighWaterMark(64),
		logsink.WithKeepTimeout(time.Millisecond))
	w.Hold()
	_, err := s.Write(make([]byte, 64))
	require.NoError(t, err)
	sinktest.Receive(t, w.Entered(), hangBound, "the flusher entering Write")
	done := make(chan error)
	go func() {
		_, err := s.WriteKeep([]byte("kept\n"))
		done <- err
	}()
	for start := time.Now(); logsink.WaitersOf(s) == 0; {
		require.Less(t, time.Since(start), hangBound, "WriteKeep did not queue for room")
		select {
		case err := <-done:
			t.Fatalf("WriteKeep returned %v without room", err)
		default:
		}
		time.Sleep(time.Millisecond) // polls the queue: there is no event for "started waiting"
	}
	clk.Add(time.Hour)
	select {
	case err := <-done:
		t.Fatalf("WriteKeep returned %v under Block after the keep timeout", err)
	default:
	}
	w.Release()
	sinktest.Bounded(t, hangBound, "WriteKeep", func() { require.NoError(t, <-done) })
	require.NoError(t, s.Close())
	assert.Equal(t, uint64(0), s.Stats().Dropped)
}
