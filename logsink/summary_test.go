package logsink_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// summed returns the drops reported by the summaries among lines.
func summed(lines []coreLine) (entries, bytes uint64, summaries int) {
	for _, l := range lines {
		if l.summary() {
			entries += *l.DroppedEntries
			bytes += *l.DroppedBytes
			summaries++
		}
	}
	return entries, bytes, summaries
}

// Drop, a slow destination, a burst, then Sync and Close with nothing logged
// after the drops: the summary used to go missing, and only Stats() knew.
func TestSummaryWrittenBySyncAndClose(t *testing.T) {
	for _, finish := range []string{"Sync", "Flush", "Close"} {
		t.Run(finish, func(t *testing.T) {
			w := sinktest.NewWriter()
			s := logsink.New(w, logsink.WithClock(sinktest.NewMockClock(epoch)),
				logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(2048))
			logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel))
			w.Hold()
			for i := range 1000 {
				logger.Info("burst", zap.Int("i", i))
			}
			require.Positive(t, s.Stats().Dropped, "the burst drops entries")
			w.Release()
			switch finish {
			case "Sync":
				require.NoError(t, logger.Sync())
			case "Flush":
				require.NoError(t, s.Flush())
			}
			require.NoError(t, s.Close())

			st := s.Stats()
			entries, bytes, summaries := summed(coreLines(t, w))
			assert.Equal(t, 1, summaries, "one summary marks the gap")
			assert.Equal(t, st.Dropped, entries, "the summary reports every dropped entry")
			assert.Equal(t, st.DroppedBytes, bytes, "and every dropped byte")
		})
	}
}

// A stream whose flusher finds drops unreported at a flush interval writes
// the summary then, whatever follows.
func TestSummaryWrittenAtFlushInterval(t *testing.T) {
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(epoch)
	drained := make(chan struct{}, 1)
	s := logsink.New(w, logsink.WithClock(clk), logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(2048), logsink.WithHighWaterMark(64), logsink.WithFlushInterval(time.Second),
		logsink.OnDrain(func() { drained <- struct{}{} }))
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel))
	w.Hold()
	for i := range 100 {
		logger.Info("burst", zap.Int("i", i))
	}
	require.Positive(t, s.Stats().Dropped, "the burst drops entries")
	w.Release()
	sinktest.Receive(t, drained, hangBound, "the drain after the burst") // nothing has been logged since the drops
	_, _, summaries := summed(coreLines(t, w))
	require.Zero(t, summaries, "no summary yet: nothing was logged after the gap")

	for len(w.Entered()) > 0 {
		<-w.Entered() // the burst's writes
	}
	w.Hold()
	clk.WaitTickers(1)
	clk.Add(time.Second) // the flush interval: the flusher writes the summary
	sinktest.Receive(t, w.Entered(), hangBound, "the flusher writing the summary")
	assert.Positive(t, s.Buffered(), "the flusher is writing the summary")
	w.Release()
	require.NoError(t, s.Close())
	entries, _, summaries := summed(coreLines(t, w))
	assert.Equal(t, 1, summaries, "one summary")
	assert.Equal(t, s.Stats().Dropped, entries, "the summary reports every drop")
}

// WithDropSummary gives any stream summaries in its own format.
func TestWithDropSummary(t *testing.T) {
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithClock(sinktest.NewMockClock(epoch)), logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(16), logsink.WithDropSummary(func(b []byte, at time.Time, entries, bytes uint64) []byte {
			return append(b, "gap\n"...)
		}))
	w.Hold()
	for _, e := range []string{"one\n", "two\n", "three\n", "four\n", "five\n"} {
		_, err := s.Write([]byte(e))
		require.NoError(t, err)
	}
	w.Release()
	require.NoError(t, s.Close())
	assert.Contains(t, w.String(), "gap\n", "the stream wrote its summary")
}
