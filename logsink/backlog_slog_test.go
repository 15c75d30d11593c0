package logsink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
)

// slogBacklogLines flushes s and decodes every JSON line w received,
// with slog's upper-case levels in lower case.
func slogBacklogLines(t *testing.T, lines []string) []backlogLine {
	t.Helper()
	var out []backlogLine
	for _, l := range lines {
		var bl backlogLine
		require.NoError(t, json.Unmarshal([]byte(l), &bl), "a JSON line: %q", l)
		bl.Level = strings.ToLower(bl.Level)
		out = append(out, bl)
	}
	return out
}

func TestSlogBacklogFailingRequestWritesItsOwnDebugLines(t *testing.T) {
	const requests, steps, failing = 1000, 5, 617
	s, w, _ := slogStream(t, logsink.WithBufferSize(8<<20))
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime},
		Backlog:        &logsink.SlogBacklog{},
	}))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				reqLog := logger.With(logsink.SlogRequestBacklog(64<<10), "req", i)
				for step := range steps {
					reqLog.Debug("step", "step", step, "detail", strings.Repeat("x", 40))
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
	require.NoError(t, s.Close(), "close")
	checkRequestsOutput(t, slogBacklogLines(t, w.Lines()), requests, steps, failing)
}

func TestSlogBacklogProcessWideAndDiscarded(t *testing.T) {
	s, w, _ := slogStream(t)
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime},
		Backlog:        &logsink.SlogBacklog{Size: 200},
	}))
	for i := range 5 {
		logger.Debug("step", "step", i) // about 60 bytes each: 3 fit
	}
	logger.Info("live")
	logger.Warn("not a trigger")
	logger.Error("failed")
	require.NoError(t, s.Close(), "close")
	lines := slogBacklogLines(t, w.Lines())
	var got []string
	for _, l := range lines {
		got = append(got, l.Msg)
	}
	assert.Equal(t, []string{"live", "not a trigger", logsink.BacklogDiscardedMessage, "step", "step", "step", "failed"}, got,
		"the newest records that fit, after a count of the others, right before the error")
	require.NotNil(t, lines[2].DiscardedEntries, "discarded_entries")
	assert.Equal(t, uint64(2), *lines[2].DiscardedEntries, "two overwritten")
	for i, l := range lines[2:6] {
		assert.True(t, l.Backlog, "line %d from the backlog is marked", i)
		if i > 0 {
			assert.Equal(t, 1+i, *l.Step, "the newest, in order")
		}
	}
}

func TestSlogBacklogMarkerOutsideGroups(t *testing.T) {
	s, w, _ := slogStream(t)
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime},
		Backlog:        &logsink.SlogBacklog{},
	}))
	logger.With("a", 1).WithGroup("g").With("b", 2).Debug("held", "c", 3)
	logger.WithGroup("g").Error("failed", "c", 4)
	require.NoError(t, s.Close(), "close")
	assert.Equal(t, `{"level":"DEBUG","msg":"held","a":1,"g":{"b":2,"c":3},"backlog":true}`+"\n"+
		`{"level":"ERROR","msg":"failed","g":{"c":4}}`+"\n", w.String(),
		"the marker is outside every group")
}

func TestSlogBacklogEnabledAndLevels(t *testing.T) {
	s, _, _ := slogStream(t)
	ctx := context.Background()
	plain := logsink.NewSlogHandler(s, nil)
	assert.False(t, plain.Enabled(ctx, slog.LevelDebug), "no backlog: debug is not enabled")
	req := plain.WithAttrs([]slog.Attr{logsink.SlogRequestBacklog(0)})
	assert.True(t, req.Enabled(ctx, slog.LevelDebug), "a request backlog holds debug")
	assert.False(t, plain.Enabled(ctx, slog.LevelDebug), "the parent is unchanged")

	var lv slog.LevelVar
	lv.Set(slog.LevelInfo)
	h := logsink.NewSlogHandler(s, &logsink.SlogOptions{Backlog: &logsink.SlogBacklog{Level: &lv}})
	assert.False(t, h.Enabled(ctx, slog.LevelDebug), "backlog level info: debug not enabled")
	lv.Set(slog.LevelDebug)
	assert.True(t, h.Enabled(ctx, slog.LevelDebug), "the backlog's Level is read for every record")
}

func TestSlogRequestBacklogIgnoredByOtherHandlers(t *testing.T) {
	for _, f := range slogFormats {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			var h slog.Handler = slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: slogNoTime})
			if f.text {
				h = slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: slogNoTime})
			}
			slog.New(h).With(logsink.SlogRequestBacklog(0), "req", 1).Info("served")
			assert.NotContains(t, buf.String(), logsink.BacklogKey, "slog's own handler leaves the attribute out: %s", buf.String())
			assert.Contains(t, buf.String(), "req", "and keeps the others")
		})
	}
}

func TestSlogBacklogConformance(t *testing.T) {
	// slogtest on a request logger of a handler with a backlog: records at
	// info and above are written as without one, and the request
	// attribute shows nowhere.
	for _, f := range slogFormats {
		t.Run(f.name, func(t *testing.T) {
			var s *logsink.Stream
			var lines func() []string
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				st, w, _ := slogStream(t)
				s, lines = st, w.Lines
				h := logsink.NewSlogHandler(s, &logsink.SlogOptions{Text: f.text, Backlog: &logsink.SlogBacklog{}})
				return h.WithAttrs([]slog.Attr{logsink.SlogRequestBacklog(0)})
			}, func(t *testing.T) map[string]any {
				require.NoError(t, s.Flush(), "Flush")
				ls := lines()
				require.Len(t, ls, 1, "one record, one line")
				return parseSlogLine(t, f.text, ls[0])
			})
		})
	}
}

func TestSlogBacklogMemoryStaysWithinCaps(t *testing.T) {
	const limit, perRequest = 128 << 10, 8 << 10
	s, _, _ := slogStream(t, logsink.WithPolicy(logsink.Drop))
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		Backlog: &logsink.SlogBacklog{RequestLimit: limit},
	}))
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			var reqs []*slog.Logger
			for r := range 20 {
				reqs = append(reqs, logger.With(logsink.SlogRequestBacklog(perRequest), "req", g*100+r))
			}
			for i := range 100 {
				for r, req := range reqs {
					req.Debug("step", "step", i, "pad", strings.Repeat("p", 100))
					if i%37 == 36 && r%5 == 0 {
						req.Error("failed")
					}
				}
			}
			for _, req := range reqs {
				n, bound := logsink.SlogBacklogRingLen(req.Handler())
				assert.LessOrEqual(t, n, bound, "a request's ring within its bound")
				assert.Equal(t, perRequest, bound, "the bound asked for")
			}
		})
	}
	wg.Wait()
	held, peak, gotLimit := logsink.SlogBacklogMemory(logger.Handler())
	assert.Equal(t, limit, gotLimit, "the limit set")
	assert.LessOrEqual(t, peak, limit, "all request rings together never held more than the limit")
	assert.LessOrEqual(t, held, limit, "nor do they now")
	assert.Greater(t, peak, limit/2, "the load did fill the budget (the test measures something)")
}
