//go:build !race

// The race detector makes sync.Pool drop items at random, so allocations
// are counted only without it.

package logsink_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

// With a backlog and no errors, a debug call costs no more allocations
// than zap's own core writing the same entry at debug level: one encode
// into a pooled buffer and a copy into the ring (which, once grown, is
// reused by overwriting).
func TestBacklogZapAllocs(t *testing.T) {
	debug := func(l *zap.Logger) {
		l.Debug("cache miss", zap.String("key", "orders/12345"), zap.Int("attempt", 2),
			zap.Duration("took", 1234*time.Microsecond), zap.String("pad", strings.Repeat("p", 64)))
	}
	s := logsink.New(io.Discard, logsink.WithBufferSize(64<<20))
	defer s.Close()
	peer := zap.New(zapcore.NewCore(coreEncoder(), zapcore.AddSync(io.Discard), zapcore.DebugLevel))
	process := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel, Size: 4 << 10})))
	request := process.With(logsink.RequestBacklog(4<<10), zap.String("req", "r1"))
	peerReq := peer.With(zap.String("req", "r1"))

	want := testing.AllocsPerRun(1000, func() { debug(peer) })
	got := testing.AllocsPerRun(1000, func() { debug(process) })
	assert.LessOrEqual(t, got, want, "process-wide backlog: %v allocations a debug call, zap at debug %v", got, want)
	want = testing.AllocsPerRun(1000, func() { debug(peerReq) })
	got = testing.AllocsPerRun(1000, func() { debug(request) })
	assert.LessOrEqual(t, got, want, "request backlog: %v allocations a debug call, zap at debug %v", got, want)
}

// The same for slog: a held debug record costs no more allocations than
// slog's own JSON handler writing it at debug level.
func TestBacklogSlogAllocs(t *testing.T) {
	debug := func(l *slog.Logger) {
		// Six attributes: one more than a slog.Record stores inline.
		l.Debug("cache miss", "key", "orders/12345", "attempt", 2, "took", 1234*time.Microsecond,
			"shard", 7, "region", "eu-west-1", "hit", false)
	}
	s := logsink.New(io.Discard, logsink.WithBufferSize(64<<20))
	defer s.Close()
	peer := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ours := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{Backlog: &logsink.SlogBacklog{Size: 4 << 10}}))
	want := testing.AllocsPerRun(1000, func() { debug(peer) })
	got := testing.AllocsPerRun(1000, func() { debug(ours) })
	assert.LessOrEqual(t, got, want, "process-wide backlog: %v allocations a debug call, slog at debug %v", got, want)

	peerReq := peer.With("req", "r1")
	request := ours.With(logsink.SlogRequestBacklog(4<<10), "req", "r1")
	want = testing.AllocsPerRun(1000, func() { debug(peerReq) })
	got = testing.AllocsPerRun(1000, func() { debug(request) })
	assert.LessOrEqual(t, got, want, "request backlog: %v allocations a debug call, slog at debug %v", got, want)
}
