package bench_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// The path for services that bridge log/slog into zap: zap's zapslog
// handler over logsink.NewCore. It lives in the bench module so that
// go.uber.org/zap/exp never reaches the library's go.mod.

// bridgeEncoder writes JSON without time or caller, so that output depends
// only on level, message and fields.
func bridgeEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:     "msg",
		LevelKey:       "level",
		EncodeLevel:    zapcore.LowercaseLevelEncoder,
		EncodeDuration: zapcore.StringDurationEncoder,
	})
}

// Under Drop with a stalled destination, a slog warning through zapslog and
// NewCore waits for room and is kept, an info record logged meanwhile is
// dropped at once, the summary sits right before the warning, and With
// attributes are kept.
func TestZapslogOverNewCoreUnderStall(t *testing.T) {
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	// High-water mark = buffer size: only a writer waiting for room (or a
	// request) starts the flusher.
	s := logsink.New(w, logsink.WithClock(clk), logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(2048), logsink.WithHighWaterMark(2048), logsink.WithKeepTimeout(time.Hour))
	t.Cleanup(func() {
		w.Release()
		_ = s.Close()
	})
	logger := slog.New(zapslog.NewHandler(logsink.NewCore(bridgeEncoder(), s, zapcore.InfoLevel))).
		With("service", "api")
	w.Hold()

	infos := 0
	for s.Stats().Dropped < 3 {
		require.Less(t, infos, 1000, "a 2 KiB buffer fills")
		logger.Info("served", "n", infos)
		infos++
	}
	warned := make(chan struct{})
	go func() {
		defer close(warned)
		logger.Warn("disk slow", "n", infos)
	}()
	// The waiting warning wakes the flusher, whose write then stalls.
	select {
	case <-w.Entered():
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the warning never woke the flusher")
	}
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		logger.Info("served", "n", infos+1)
	}()
	select {
	case <-logged:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "an info record waited behind the warning")
	}
	st := s.Stats()
	require.Equal(t, uint64(4), st.Dropped, "three info records dropped, then the one logged while the warning waits")
	w.Release()
	select {
	case <-warned:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the warning never returned")
	}
	require.NoError(t, s.Close(), "Close")

	var lines []map[string]any
	for _, l := range w.Lines() {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "a JSON line: %q", l)
		lines = append(lines, m)
	}
	require.Len(t, lines, infos-3+2, "the infos that fit, a summary, the warning")
	for i, l := range lines[:infos-3] {
		assert.Equal(t, "api", l["service"], "info %d keeps the With attribute", i)
	}
	sum, warn := lines[len(lines)-2], lines[len(lines)-1]
	assert.Equal(t, logsink.DroppedMessage, sum["msg"], "the summary comes right before the warning")
	assert.Equal(t, float64(st.Dropped), sum["dropped_entries"], "dropped_entries")
	assert.Equal(t, float64(st.DroppedBytes), sum["dropped_bytes"], "dropped_bytes")
	assert.Equal(t, "disk slow", warn["msg"], "the warning is kept")
	assert.Equal(t, "warn", warn["level"], "warning level")
	assert.Equal(t, "api", warn["service"], "the warning keeps the With attribute")
}

// A service that logs with slog and writes through zap bridges the two with
// zapslog; logsink.NewCore keeps its warnings under Drop.
func Example_zapslog() {
	var out bytes.Buffer // a file or stdout in a real service
	s := logsink.New(&out, logsink.WithPolicy(logsink.Drop))
	core := logsink.NewCore(bridgeEncoder(), s, zapcore.InfoLevel)
	logger := slog.New(zapslog.NewHandler(core))

	logger.Info("listening", "port", 8080)
	logger.With("req", "r1").Warn("slow request", "took", 2*time.Second)

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// {"level":"info","msg":"listening","port":8080}
	// {"level":"warn","msg":"slow request","req":"r1","took":"2s"}
}
