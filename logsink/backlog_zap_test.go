package logsink_test

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// backlogLine is one decoded entry of a backlog test's output.
type backlogLine struct {
	Level            string  `json:"level"`
	Msg              string  `json:"msg"`
	Req              *int    `json:"req"`
	Step             *int    `json:"step"`
	Backlog          bool    `json:"backlog"`
	DiscardedEntries *uint64 `json:"discarded_entries"`
	DiscardedBytes   *uint64 `json:"discarded_bytes"`
}

// backlogLines closes s and decodes every line w received.
func backlogLines(t *testing.T, s *logsink.Stream, w *sinktest.Writer) []backlogLine {
	t.Helper()
	require.NoError(t, s.Close(), "close")
	var lines []backlogLine
	for _, l := range w.Lines() {
		var bl backlogLine
		require.NoError(t, json.Unmarshal([]byte(l), &bl), "a JSON line: %q", l)
		lines = append(lines, bl)
	}
	return lines
}

// checkRequestsOutput checks the output of runRequests: every info line,
// the error, and right before... exactly the failing request's debug lines,
// marked and in order, before the error; no other debug line.
func checkRequestsOutput(t *testing.T, lines []backlogLine, requests, steps, failing int) {
	t.Helper()
	infos := map[int]bool{}
	var debugs []backlogLine
	errorAt := -1
	for i, l := range lines {
		require.NotNil(t, l.Req, "line %d has a req field: %+v", i, l)
		switch l.Level {
		case "info":
			assert.False(t, l.Backlog, "a live info line is not marked: %+v", l)
			assert.False(t, infos[*l.Req], "one info line for request %d", *l.Req)
			infos[*l.Req] = true
		case "debug":
			assert.Equal(t, failing, *l.Req, "only the failing request's debug lines are written")
			assert.True(t, l.Backlog, "a debug line from the backlog is marked: %+v", l)
			assert.Equal(t, -1, errorAt, "debug lines come before the error")
			debugs = append(debugs, l)
		case "error":
			assert.Equal(t, failing, *l.Req, "the error is the failing request's")
			assert.False(t, l.Backlog, "the error is live")
			errorAt = i
		default:
			t.Errorf("unexpected line %+v", l)
		}
	}
	assert.Len(t, infos, requests, "every info line is written")
	assert.NotEqual(t, -1, errorAt, "the error is written")
	require.Len(t, debugs, steps, "every debug line of the failing request")
	for i, d := range debugs {
		assert.Equal(t, i, *d.Step, "debug lines in their original order")
	}
}

// runRequests serves requests requests on 8 goroutines through
// per-request loggers of logger: each logs steps debug lines and one info
// line; request failing logs an error after its debug lines.
func runRequests(logger *zap.Logger, requests, steps, failing int) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				reqLog := logger.With(logsink.RequestBacklog(64<<10), zap.Int("req", i))
				for step := range steps {
					reqLog.Debug("step", zap.Int("step", step), zap.String("detail", strings.Repeat("x", 40)))
				}
				if i == failing {
					reqLog.Error("request failed")
				}
				reqLog.Info("request served")
			}
		})
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()
}

func TestBacklogFailingRequestWritesItsOwnDebugLines(t *testing.T) {
	const requests, steps, failing = 1000, 5, 617
	tests := []struct {
		name string
		wrap func(zapcore.Core) zapcore.Core
	}{
		{name: "core", wrap: func(c zapcore.Core) zapcore.Core { return c }},
		{name: "in a tee", wrap: func(c zapcore.Core) zapcore.Core {
			other := zapcore.NewCore(coreEncoder(), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
			return zapcore.NewTee(other, c)
		}},
		{name: "in a tee behind a sampler", wrap: func(c zapcore.Core) zapcore.Core {
			other := zapcore.NewCore(coreEncoder(), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
			// A sampler that lets 10,000 of each message a second through
			// keeps every entry here; it must pass the field through.
			return zapcore.NewSamplerWithOptions(zapcore.NewTee(c, other), time.Second, 10000, 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, w := coreStream(t, logsink.WithBufferSize(8<<20))
			c := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
				logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel}))
			runRequests(zap.New(tt.wrap(c)), requests, steps, failing)
			checkRequestsOutput(t, backlogLines(t, s, w), requests, steps, failing)
		})
	}
}

func TestBacklogBuiltLoggerPassesRequestBacklog(t *testing.T) {
	// zap.Config.Build wraps the core it makes (sampling, hooks); a core of
	// ours given through WrapCore must still see the field.
	s, w := coreStream(t)
	cfg := zap.NewProductionConfig()
	cfg.OutputPaths, cfg.ErrorOutputPaths = nil, nil
	logger, err := cfg.Build(zap.WrapCore(func(zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(
			logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel, logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})),
			time.Second, 100, 0)
	}))
	require.NoError(t, err, "build")
	runRequests(logger, 20, 3, 7)
	checkRequestsOutput(t, backlogLines(t, s, w), 20, 3, 7)
}

func TestBacklogProcessWide(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	logger.Debug("d0", zap.Int("req", 0))
	logger.Info("i1", zap.Int("req", 1))
	logger.Debug("d2", zap.Int("req", 2))
	logger.Error("e3", zap.Int("req", 3))
	logger.Debug("d4", zap.Int("req", 4))
	logger.Error("e5", zap.Int("req", 5))
	logger.Error("e6", zap.Int("req", 6)) // nothing held: nothing written before it
	lines := backlogLines(t, s, w)
	var got []string
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%s %v", l.Msg, l.Backlog))
	}
	assert.Equal(t, []string{"i1 false", "d0 true", "d2 true", "e3 false", "d4 true", "e5 false", "e6 false"}, got,
		"held entries are written, marked and in order, right before the error that follows them, once")
}

func TestBacklogOverwritesOldestAndCounts(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel, Size: 1000})))
	entry := len(`{"level":"debug","msg":"step","step":00,"backlog":true}` + "\n")
	for i := range 50 {
		logger.Debug("step", zap.Int("step", 10+i))
	}
	logger.Error("failed")
	lines := backlogLines(t, s, w)
	require.GreaterOrEqual(t, len(lines), 3, "a summary, some entries, the error")
	sum := lines[0]
	assert.Equal(t, logsink.BacklogDiscardedMessage, sum.Msg, "a summary first")
	assert.True(t, sum.Backlog, "the summary is marked")
	held := len(lines) - 2
	assert.Equal(t, 1000/(entry+4), held, "the backlog held as many of the newest entries as fit in 1000 bytes")
	require.NotNil(t, sum.DiscardedEntries, "discarded_entries")
	assert.Equal(t, uint64(50-held), *sum.DiscardedEntries, "every overwritten entry is counted")
	assert.Equal(t, uint64((50-held)*entry), *sum.DiscardedBytes, "and its bytes")
	for i, l := range lines[1 : 1+held] {
		assert.Equal(t, 10+50-held+i, *l.Step, "the newest entries, in order")
	}
	assert.Equal(t, "failed", lines[len(lines)-1].Msg, "the error last")
}

func TestBacklogEntryLargerThanBacklog(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel, Size: 100})))
	logger.Debug("small")
	logger.Debug("huge", zap.String("x", strings.Repeat("x", 200)))
	logger.Error("failed")
	var got []string
	for _, l := range backlogLines(t, s, w) {
		got = append(got, l.Msg)
	}
	assert.Equal(t, []string{logsink.BacklogDiscardedMessage, "small", "failed"}, got,
		"an entry larger than the backlog is discarded and counted; the others stay")
}

func TestBacklogEnabledAndLevel(t *testing.T) {
	s, _ := coreStream(t)
	defer s.Close()
	plain := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel)
	assert.False(t, plain.Enabled(zapcore.DebugLevel), "no backlog: debug is not enabled")
	withBacklog := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel}))
	assert.True(t, withBacklog.Enabled(zapcore.DebugLevel), "the backlog's level is enabled")
	assert.Equal(t, zapcore.DebugLevel, zapcore.LevelOf(withBacklog), "Level reports the backlog's level")
	assert.NotNil(t, withBacklog.Check(zapcore.Entry{Level: zapcore.DebugLevel}, nil), "Check admits debug")

	req := plain.With([]zapcore.Field{logsink.RequestBacklog(0)})
	assert.True(t, req.Enabled(zapcore.DebugLevel), "a request backlog without WithBacklog holds debug")
	assert.False(t, plain.Enabled(zapcore.DebugLevel), "the parent is unchanged")

	narrow := logsink.NewCore(coreEncoder(), s, zapcore.WarnLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.InfoLevel}))
	assert.False(t, narrow.Enabled(zapcore.DebugLevel), "below the backlog's level: not enabled")
	assert.True(t, narrow.Enabled(zapcore.InfoLevel), "the backlog's level")
}

func TestBacklogTriggerAndOnSync(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel, Trigger: zapcore.WarnLevel, OnSync: true})))
	logger.Debug("d1")
	logger.Warn("w2")
	logger.Debug("d3")
	require.NoError(t, logger.Sync(), "sync")
	logger.Info("i4")
	var got []string
	for _, l := range backlogLines(t, s, w) {
		got = append(got, l.Msg)
	}
	assert.Equal(t, []string{"d1", "w2", "d3", "i4"}, got, "a Warn trigger writes the backlog, and so does Sync")
}

func TestBacklogRequestChildrenShareTheirBacklog(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	req := logger.With(logsink.RequestBacklog(0), zap.Int("req", 1))
	req.Debug("parent", zap.Int("step", 0))
	req.With(zap.String("phase", "db")).Debug("child", zap.Int("step", 1))
	sub := req.With(logsink.RequestBacklog(0)) // a backlog of its own
	sub.Debug("sub", zap.Int("step", 2))
	logger.Debug("process")
	req.Named("x").Error("failed")
	var got []string
	for _, l := range backlogLines(t, s, w) {
		got = append(got, l.Msg)
	}
	assert.Equal(t, []string{"parent", "child", "failed"}, got,
		"a logger made from a request's logger shares its backlog; a new RequestBacklog and the process-wide one are apart")
}

func TestBacklogMemoryStaysWithinCaps(t *testing.T) {
	const limit, perRequest = 256 << 10, 16 << 10
	s, _ := coreStream(t, logsink.WithPolicy(logsink.Drop))
	defer s.Close()
	c := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel}),
		logsink.WithRequestBacklogLimit(limit))
	logger := zap.New(c)

	// 64 goroutines serve 20 requests each, all alive at once within a
	// goroutine's batch, each logging far more than its own bound; some
	// fail. The budget's count of bytes held never passes the limit, and
	// no ring passes its own bound.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []*zap.Logger
	maxRing := 0
	for g := range 64 {
		wg.Go(func() {
			var reqs []*zap.Logger
			for r := range 20 {
				reqs = append(reqs, logger.With(logsink.RequestBacklog(perRequest), zap.Int("req", g*100+r)))
			}
			for i := range 200 {
				for r, req := range reqs {
					req.Debug("step", zap.Int("step", i), zap.String("pad", strings.Repeat("p", 100)))
					if i%97 == 96 && r%5 == 0 {
						req.Error("failed")
					}
				}
			}
			mu.Lock()
			all = append(all, reqs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	// The rings themselves, counted apart from the budget's own count.
	sum := 0
	for _, req := range all {
		n, bound := logsink.BacklogRingLen(req.Core())
		assert.LessOrEqual(t, n, bound, "a request's ring within its bound")
		maxRing = max(maxRing, n)
		sum += n
	}
	assert.LessOrEqual(t, sum, limit, "the memory of all %d request rings together within the limit", len(all))
	held, peak, gotLimit := logsink.BacklogMemory(c)
	assert.Equal(t, limit, gotLimit, "the limit set")
	assert.LessOrEqual(t, peak, limit, "all request rings together never held more than the limit")
	assert.LessOrEqual(t, held, limit, "nor do they now")
	assert.Greater(t, peak, limit/2, "the load did fill the budget (the test measures something)")
	assert.LessOrEqual(t, maxRing, perRequest, "no ring past its bound")
}

func TestBacklogDroppedRequestsGiveBackTheirMemory(t *testing.T) {
	const limit, perRequest = 64 << 10, 16 << 10
	s, w := coreStream(t, logsink.WithBufferSize(4<<20))
	c := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel}),
		logsink.WithRequestBacklogLimit(limit))
	logger := zap.New(c)
	fill := func(l *zap.Logger) {
		for i := range 200 {
			l.Debug("step", zap.Int("step", i), zap.String("pad", strings.Repeat("p", 100)))
		}
	}
	// Requests that end without an error: their loggers are dropped.
	for r := range 10 {
		fill(logger.With(logsink.RequestBacklog(perRequest), zap.Int("req", r)))
	}
	held, _, _ := logsink.BacklogMemory(c)
	require.Equal(t, limit, held, "the dropped requests' rings filled the budget")
	runtime.GC()

	// Three live requests now fit: the garbage-collected rings make room,
	// none of the live ones is taken back.
	var live []*zap.Logger
	for r := range 3 {
		l := logger.With(logsink.RequestBacklog(perRequest), zap.Int("req", 100+r))
		fill(l)
		live = append(live, l)
	}
	for _, l := range live {
		l.Error("failed")
	}
	// Each ring overwrote its own oldest entries (200 do not fit in 16
	// KiB) and kept as many as fit; none was emptied for the budget,
	// which would leave it with almost nothing to write.
	require.NoError(t, s.Close(), "close")
	var perReq [3]int
	entry := 0
	for _, text := range w.Lines() {
		var l backlogLine
		require.NoError(t, json.Unmarshal([]byte(text), &l), "a JSON line: %q", text)
		if l.Msg == "step" && *l.Step >= 100 { // steps 100-199 have the same length
			perReq[*l.Req-100]++
			entry = len(text)
		}
	}
	require.NotZero(t, entry, "some steps were written")
	for r, n := range perReq {
		// Of the newest 100 steps, those that fit beside the others.
		assert.Equal(t, min(100, perRequest/(entry+4)), n, "live request %d kept its recent entries", r)
	}
}

func TestBacklogRequestRingIsFreedWithItsLogger(t *testing.T) {
	s, _ := coreStream(t)
	defer s.Close()
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel))
	req := logger.With(logsink.RequestBacklog(0))
	req.Debug("held")
	ring := logsink.BacklogRingOf(req.Core())
	n, _ := logsink.BacklogRingLen(req.Core())
	require.NotZero(t, n, "the ring holds memory")
	req = nil
	// zap's pooled CheckedEntry holds the last core it wrote to until the
	// pool is emptied, which takes two collections.
	for range 3 {
		runtime.GC()
	}
	assert.True(t, ring.Value() == nil, "nothing but the request's logger kept its ring alive")
}

func TestBacklogRingGrowsOnFirstEntry(t *testing.T) {
	s, _ := coreStream(t)
	defer s.Close()
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	req := logger.With(logsink.RequestBacklog(64 << 10))
	n, bound := logsink.BacklogRingLen(req.Core())
	assert.Zero(t, n, "no memory before the first entry")
	assert.Equal(t, 64<<10, bound, "the size asked for")
	req.Info("written, not held")
	n, _ = logsink.BacklogRingLen(req.Core())
	assert.Zero(t, n, "an entry at the core's level is not held")
	req.Debug("held")
	n, _ = logsink.BacklogRingLen(req.Core())
	assert.Equal(t, 1<<10, n, "the first entry grows the ring by the least growth")
	held, _, _ := logsink.BacklogMemory(req.Core())
	assert.Equal(t, 1<<10, held, "and the budget counts it")
	req.Error("failed")
	held, _, _ = logsink.BacklogMemory(req.Core())
	assert.Zero(t, held, "a backlog written out gives its memory back")
}

func TestBacklogUnderStallWaitsAboutOneKeepTimeout(t *testing.T) {
	// A stalled destination under Drop: the first backlog entry waits the
	// keep timeout and is dropped; the others follow the policy at once
	// instead of waiting a keep timeout each (50 of 200ms: 10s).
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(256),
		logsink.WithKeepTimeout(200*time.Millisecond))
	defer func() {
		w.Release()
		_ = s.Close()
	}()
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	for i := range 50 {
		logger.Debug("step", zap.Int("step", i))
	}
	w.Hold()
	logger.Info(strings.Repeat("x", 200)) // taken by the flusher, which hangs in Write
	sinktest.Receive(t, w.Entered(), 5*time.Second, "the flusher writes and hangs")
	logger.Info(strings.Repeat("y", 200)) // fills the buffer
	before := s.Stats().Dropped

	done := make(chan struct{})
	go func() {
		defer close(done)
		logger.Error("failed")
	}()
	// The bound is generous: it only tells waiting a keep timeout per
	// entry (10s) from waiting about one.
	sinktest.Receive(t, done, 5*time.Second, "the error call returns after about one keep timeout")
	assert.Equal(t, uint64(50+1), s.Stats().Dropped-before, "every backlog entry and the error were dropped and counted")
}
