package logsink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// slogFormats are the two formats of NewSlogHandler, for tests that run in
// both.
var slogFormats = []struct {
	name string
	text bool
}{
	{name: "json"},
	{name: "text", text: true},
}

// slogStart is the mock clock's start, and so the time of drop summaries.
var slogStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// slogNoTime is a ReplaceAttr that leaves out the time, so that a record's
// size does not change with the clock: RFC 3339 times drop trailing zeros.
func slogNoTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// slogStream returns a stream over a fresh sinktest.Writer, driven by a
// mock clock so that only the high-water mark, writers waiting for room and
// requests make the flusher write.
func slogStream(t *testing.T, opts ...logsink.Option) (*logsink.Stream, *sinktest.Writer, *sinktest.MockClock) {
	t.Helper()
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(slogStart)
	s := logsink.New(w, append([]logsink.Option{logsink.WithClock(clk)}, opts...)...)
	t.Cleanup(func() {
		w.Release() // a failed test may leave the writer held
		_ = s.Close()
	})
	return s, w, clk
}

// parseSlogLine decodes one line of slog output, JSON or text, into a map
// with a nested map per group, as testing/slogtest wants.
func parseSlogLine(t *testing.T, text bool, line string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if !text {
		require.NoError(t, json.Unmarshal([]byte(line), &m), "a JSON line: %q", line)
		return m
	}
	rest := strings.TrimSuffix(line, "\n")
	for rest != "" {
		key, after, ok := strings.Cut(rest, "=")
		require.True(t, ok, "key=value in %q", line)
		var val string
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			require.NoError(t, err, "quoted value in %q", line)
			val, err = strconv.Unquote(q)
			require.NoError(t, err, "quoted value in %q", line)
			after = after[len(q):]
		} else {
			val, after, _ = strings.Cut(after, " ")
			after = " " + after
		}
		rest = strings.TrimPrefix(after, " ")
		// Text handlers write a group's attributes as group.key=value.
		group := m
		path := strings.Split(key, ".")
		for _, g := range path[:len(path)-1] {
			sub, ok := group[g].(map[string]any)
			if !ok {
				sub = map[string]any{}
				group[g] = sub
			}
			group = sub
		}
		group[path[len(path)-1]] = val
	}
	return m
}

// slogLines returns every line written to w, decoded.
func slogLines(t *testing.T, text bool, w *sinktest.Writer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range w.Lines() {
		out = append(out, parseSlogLine(t, text, l))
	}
	return out
}

// slogMsgs returns the message of each line, for failure messages.
func slogMsgs(lines []map[string]any) []any {
	var out []any
	for _, l := range lines {
		out = append(out, l[slog.MessageKey])
	}
	return out
}

// num returns a numeric attribute of a decoded line, from JSON or text.
func num(t *testing.T, v any) uint64 {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return uint64(v)
	case string:
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "a number: %q", v)
		return n
	}
	require.Failf(t, "not a number", "%#v", v)
	return 0
}

// waitUntil waits for cond, failing the test after a deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting", what)
		}
		runtime.Gosched()
	}
}

// within runs f on a goroutine and returns a function that waits for it to
// return, failing the test after a deadline.
func within(t *testing.T, what string, f func()) (wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return func() {
		t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			require.FailNow(t, "timed out", what)
		}
	}
}

func TestSlogHandlerConformance(t *testing.T) {
	for _, f := range slogFormats {
		t.Run(f.name, func(t *testing.T) {
			var s *logsink.Stream
			var w *sinktest.Writer
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				s, w, _ = slogStream(t)
				return logsink.NewSlogHandler(s, &logsink.SlogOptions{Text: f.text})
			}, func(t *testing.T) map[string]any {
				require.NoError(t, s.Flush(), "Flush")
				lines := w.Lines()
				require.Len(t, lines, 1, "one record, one line")
				return parseSlogLine(t, f.text, lines[0])
			})
		})
	}
}

// slogValuer is a LogValuer that counts its calls.
type slogValuer struct{ calls *int }

func (v slogValuer) LogValue() slog.Value {
	*v.calls++
	return slog.StringValue(fmt.Sprintf("resolved %d", *v.calls))
}

// The handler's output is byte for byte what slog's own handler writes for
// the same record after the same WithAttrs and WithGroup calls.
func TestSlogHandlerFormatsAsSlog(t *testing.T) {
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
	groupsInKey := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) > 0 {
			a.Key = strings.Join(groups, ".") + ":" + a.Key
		}
		return a
	}
	dropC := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "c" {
			return slog.Attr{}
		}
		return a
	}
	many := make([]any, 0, 600)
	for i := range 300 {
		many = append(many, fmt.Sprintf("k%d", i), i)
	}
	tests := []struct {
		name  string
		opts  slog.HandlerOptions
		with  func(slog.Handler) slog.Handler
		attrs []any
		time  time.Time
	}{
		{name: "message only"},
		{name: "record attrs", attrs: []any{"a", 1, "b", "two words", "c", 3.5, "d", true, "e", time.Second}},
		{name: "more record attrs than a record stores inline", attrs: []any{"a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7}},
		{name: "with attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("svc", "api"), slog.Int("pid", 42)})
		}, attrs: []any{"a", 1}},
		{name: "with attrs twice, no record attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("svc", "api")}).WithAttrs([]slog.Attr{slog.Int("pid", 42)})
		}},
		{name: "group, record attrs", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g")
		}, attrs: []any{"a", 1, "b", 2}},
		{name: "group without attrs is left out", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g")
		}},
		{name: "attrs at every level", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g").
				WithAttrs([]slog.Attr{slog.Int("b", 2)}).WithGroup("h").WithAttrs([]slog.Attr{slog.Int("c", 3)})
		}, attrs: []any{"d", 4}},
		{name: "inner group empty, outer not", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("b", 2)}).WithGroup("h")
		}},
		{name: "outer group empty, inner not", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithGroup("h").WithAttrs([]slog.Attr{slog.Int("b", 2)})
		}},
		{name: "empty groups", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Group("empty")}).WithGroup("g").
				WithAttrs([]slog.Attr{slog.Group("x", slog.Group("y")), slog.Int("a", 1)})
		}, attrs: []any{slog.Group("e"), "b", 2, slog.Group("", slog.Int("inl", 1))}},
		{name: "record groups inside handler groups", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("req")
		}, attrs: []any{slog.Group("http", slog.String("method", "GET"), slog.Int("status", 200)), "a", 1}},
		{name: "LogValuer in with attrs and in a group", with: func(h slog.Handler) slog.Handler {
			n := 0
			return h.WithAttrs([]slog.Attr{
				slog.Any("v", slogValuer{&n}),
				slog.Group("g", slog.Any("w", slogValuer{&n}), slog.Int("x", 1)),
			})
		}, attrs: []any{"a", 1}},
		{name: "ReplaceAttr sees the groups", opts: slog.HandlerOptions{ReplaceAttr: groupsInKey}, with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g").WithAttrs([]slog.Attr{slog.Int("b", 2)}).WithGroup("h")
		}, attrs: []any{"c", 3, slog.Group("i", slog.Int("d", 4))}},
		{name: "ReplaceAttr empties a group", opts: slog.HandlerOptions{ReplaceAttr: dropC}, with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g")
		}, attrs: []any{"c", 3}},
		{name: "source", opts: slog.HandlerOptions{AddSource: true}, with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g")
		}, attrs: []any{"a", 1}},
		{name: "duplicate keys", with: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.Int("a", 1)})
		}, attrs: []any{"a", 2}},
		{name: "zero time", time: time.Time{}, attrs: []any{"a", 1}},
		{name: "more attrs than a lane keeps", with: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g")
		}, attrs: many},
	}
	for _, f := range slogFormats {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				recTime := at
				if tt.name == "zero time" {
					recTime = tt.time
				}
				record := func() slog.Record {
					r := slog.NewRecord(recTime, slog.LevelInfo, "hello", pcs[0])
					r.Add(tt.attrs...)
					return r
				}
				var want bytes.Buffer
				var peer slog.Handler
				if f.text {
					peer = slog.NewTextHandler(&want, &tt.opts)
				} else {
					peer = slog.NewJSONHandler(&want, &tt.opts)
				}
				s, w, _ := slogStream(t)
				got := logsink.NewSlogHandler(s, &logsink.SlogOptions{HandlerOptions: tt.opts, Text: f.text})
				if tt.with != nil {
					peer, got = tt.with(peer), tt.with(got)
				}
				// Lanes are reused; a derived handler formats its
				// attributes with each record, then, from
				// SlogPreformatAfter records on, once per lane.
				for range logsink.SlogPreformatAfter + 2 {
					require.NoError(t, peer.Handle(context.Background(), record()), "slog's handler")
					require.NoError(t, got.Handle(context.Background(), record()), "NewSlogHandler")
				}
				require.NoError(t, s.Close(), "Close")
				wantLines, gotLines := strings.SplitAfter(want.String(), "\n"), w.Lines()
				require.Len(t, gotLines, len(wantLines)-1, "one line per record")
				for i := range gotLines {
					require.Equal(t, wantLines[i], gotLines[i], "record %d: the same output as slog's own handler", i)
				}
				if tt.with != nil {
					assert.True(t, logsink.SlogPreformatted(got), "the derived handler formats its attributes once by now")
				}
			})
		}
	}
}

// Under Drop with a stalled destination, info records are dropped, a
// warning waits for room and is kept, the summary sits right before it,
// and the With attributes are on every record, in both formats.
func TestSlogHandlerKeepsWarningUnderStall(t *testing.T) {
	for _, f := range slogFormats {
		t.Run(f.name, func(t *testing.T) {
			// High-water mark = buffer size: the flusher runs only when a
			// writer waits for room or on a request.
			s, w, _ := slogStream(t, logsink.WithPolicy(logsink.Drop),
				logsink.WithBufferSize(2048), logsink.WithHighWaterMark(2048), logsink.WithKeepTimeout(time.Hour))
			logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
				HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime},
				Text:           f.text,
			})).With("service", "api").WithGroup("req")
			w.Hold()

			infos := 0
			for s.Stats().Dropped < 3 {
				require.Less(t, infos, 1000, "a 2 KiB buffer fills")
				logger.Info("served", "n", infos)
				infos++
			}
			wait := within(t, "the warning waits for room, then is written", func() {
				logger.Warn("disk slow", "n", infos)
			})
			waitUntil(t, "the warning queues for room", func() bool { return logsink.WaitersOf(s) == 1 })
			// While the warning waits, an info record is not held up
			// behind it: it is dropped at once.
			within(t, "an info record while a warning waits", func() {
				logger.Info("served", "n", infos+1)
			})()
			st := s.Stats()
			require.Equal(t, uint64(4), st.Dropped, "three info records dropped, then the one logged while the warning waits")
			w.Release()
			wait()
			require.NoError(t, s.Close(), "Close")

			lines := slogLines(t, f.text, w)
			require.Len(t, lines, infos-3+2, "the infos that fit, a summary, the warning: %v", slogMsgs(lines))
			for i, l := range lines[:infos-3] {
				assert.Equal(t, "INFO", l["level"], "line %d", i)
				assert.Equal(t, "api", l["service"], "line %d keeps the With attribute", i)
				assert.NotNil(t, l["req"], "line %d has its group", i)
			}
			sum, warn := lines[len(lines)-2], lines[len(lines)-1]
			assert.Equal(t, logsink.DroppedMessage, sum["msg"], "the summary comes right before the warning that waited")
			assert.Equal(t, "WARN", sum["level"], "summary level")
			assert.Equal(t, st.Dropped, num(t, sum["dropped_entries"]), "dropped_entries")
			assert.Equal(t, st.DroppedBytes, num(t, sum["dropped_bytes"]), "dropped_bytes")
			assert.Nil(t, sum["service"], "the summary is the stream's, without a handler's attributes")
			assert.Equal(t, "disk slow", warn["msg"], "the warning is kept")
			assert.Equal(t, "WARN", warn["level"], "warning level")
			assert.Equal(t, "api", warn["service"], "the warning keeps the With attribute")
			req, _ := warn["req"].(map[string]any)
			assert.Equal(t, uint64(infos), num(t, req["n"]), "the warning's own attribute is in its group")
			assert.Equal(t, uint64(len(lines)), s.Stats().Entries, "one entry per record and summary")
		})
	}
}

// Under Drop, a kept record waits at most the keep timeout; then it is
// dropped, counted, and the next summary includes it.
func TestSlogHandlerKeepTimeout(t *testing.T) {
	s, w, clk := slogStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithFlushInterval(time.Hour),
		logsink.WithBufferSize(2048), logsink.WithHighWaterMark(2048), logsink.WithKeepTimeout(2*time.Second))
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime}}))
	w.Hold()
	for i := 0; s.Stats().Dropped == 0; i++ {
		require.Less(t, i, 1000, "a 2 KiB buffer fills")
		logger.Info("served", "n", i)
	}
	wait := within(t, "the error returns after the keep timeout", func() {
		logger.Error("lost", "err", "timeout")
	})
	// A queued writer has started its keep timeout on the clock.
	waitUntil(t, "the error queues for room", func() bool { return logsink.WaitersOf(s) == 1 })
	clk.Add(2 * time.Second)
	wait()
	assert.Equal(t, uint64(2), s.Stats().Dropped, "the error was dropped after the keep timeout")

	w.Release()
	require.NoError(t, s.Sync(), "Sync")
	logger.Info("after")
	require.NoError(t, s.Close(), "Close")
	lines := slogLines(t, false, w)
	for _, l := range lines {
		assert.NotEqual(t, "lost", l["msg"], "the error that timed out is not written")
	}
	sum := lines[len(lines)-2]
	require.Equal(t, logsink.DroppedMessage, sum["msg"], "a summary before the next record: %v", slogMsgs(lines))
	assert.Equal(t, uint64(2), num(t, sum["dropped_entries"]), "the summary counts the info and the error")
}

// Keep chooses the records that wait for room; a LevelVar changes it at
// run time.
func TestSlogHandlerKeepLevel(t *testing.T) {
	var keep slog.LevelVar
	keep.Set(slog.LevelError)
	s, w, _ := slogStream(t, logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(2048), logsink.WithHighWaterMark(2048), logsink.WithKeepTimeout(time.Hour))
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: slogNoTime},
		Keep:           &keep,
	}))
	w.Hold()
	for i := 0; s.Stats().Dropped == 0; i++ {
		require.Less(t, i, 1000, "a 2 KiB buffer fills")
		logger.Info("served", "n", i)
	}

	within(t, "a warning below Keep does not wait", func() { logger.Warn("warn 1") })()
	assert.Equal(t, uint64(2), s.Stats().Dropped, "below Keep (error), a warning is dropped")

	keep.Set(slog.LevelWarn)
	wait := within(t, "a warning at Keep waits", func() { logger.Warn("warn 2") })
	waitUntil(t, "the warning queues for room", func() bool { return logsink.WaitersOf(s) == 1 })
	w.Release()
	wait()
	assert.Equal(t, uint64(2), s.Stats().Dropped, "at Keep (now warn), a warning is kept")
	require.NoError(t, s.Close(), "Close")
	msgs := slogMsgs(slogLines(t, false, w))
	assert.NotContains(t, msgs, "warn 1", "dropped")
	assert.Contains(t, msgs, "warn 2", "kept")
}

func TestSlogHandlerEnabled(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelError)
	tests := []struct {
		name  string
		give  slog.Leveler
		level slog.Level
		want  bool
	}{
		{name: "nil means info: info", level: slog.LevelInfo, want: true},
		{name: "nil means info: debug", level: slog.LevelDebug, want: false},
		{name: "debug: debug", give: slog.LevelDebug, level: slog.LevelDebug, want: true},
		{name: "warn: info", give: slog.LevelWarn, level: slog.LevelInfo, want: false},
		{name: "warn: error", give: slog.LevelWarn, level: slog.LevelError, want: true},
		{name: "LevelVar error: warn", give: &lv, level: slog.LevelWarn, want: false},
		{name: "LevelVar error: error+4", give: &lv, level: slog.LevelError + 4, want: true},
	}
	s, _, _ := slogStream(t)
	for _, tt := range tests {
		h := logsink.NewSlogHandler(s, &logsink.SlogOptions{HandlerOptions: slog.HandlerOptions{Level: tt.give}})
		assert.Equal(t, tt.want, h.Enabled(context.Background(), tt.level), tt.name)
		assert.Equal(t, tt.want, h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("a", 1)}).Enabled(context.Background(), tt.level),
			"%s, derived handler", tt.name)
	}
}

// dropTwoStream returns a stream with the Drop policy whose buffer holds
// three and a half of dropTwo's records (at info level), formatted with opts, and which
// only Sync and Close flush.
func dropTwoStream(t *testing.T, opts slog.HandlerOptions, text bool, extra ...logsink.Option) (*logsink.Stream, *sinktest.Writer) {
	t.Helper()
	var buf bytes.Buffer
	opts.Level = nil // measure an info record whatever the handler's level
	var h slog.Handler = slog.NewJSONHandler(&buf, &opts)
	if text {
		h = slog.NewTextHandler(&buf, &opts)
	}
	slog.New(h).Info("request served", "n", 0)
	size := buf.Len() * 7 / 2
	s, w, _ := slogStream(t, append([]logsink.Option{logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(size), logsink.WithHighWaterMark(size)}, extra...)...)
	return s, w
}

// dropTwo logs five records into a stream from dropTwoStream, of which two
// are dropped, syncs, and logs one more, which is preceded by a summary of
// the two.
func dropTwo(t *testing.T, logger *slog.Logger, s *logsink.Stream, level slog.Level) {
	t.Helper()
	for i := range 5 {
		logger.Log(context.Background(), level, "request served", "n", i)
	}
	require.Equal(t, uint64(2), s.Stats().Dropped, "two of five records dropped")
	require.NoError(t, s.Sync(), "Sync")
	logger.Log(context.Background(), level, "request served", "n", 5)
}

// The summary is slog's own formatting of a WARN record with the stream's
// clock time, in the handler's format and through its ReplaceAttr.
func TestSlogHandlerSummaryFormat(t *testing.T) {
	rename := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.MessageKey && len(groups) == 0 {
			a.Key = "message"
		}
		return a
	}
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		return rename(groups, slogNoTime(groups, a))
	}
	tests := []struct {
		name  string
		give  slog.HandlerOptions
		text  bool
		level slog.Level // of the records
		want  string
	}{
		{name: "json", want: `{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}`},
		{name: "text", text: true, want: `time=2026-01-02T03:04:05.000Z level=WARN msg="logsink: dropped log entries" dropped_entries=2 dropped_bytes=%d`},
		{name: "ReplaceAttr", give: slog.HandlerOptions{ReplaceAttr: rename},
			want: `{"time":"2026-01-02T03:04:05Z","level":"WARN","message":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}`},
		{name: "ReplaceAttr without time, text", give: slog.HandlerOptions{ReplaceAttr: noTime}, text: true,
			want: `level=WARN message="logsink: dropped log entries" dropped_entries=2 dropped_bytes=%d`},
		{name: "source left out", give: slog.HandlerOptions{AddSource: true},
			want: `{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}`},
		{name: "Level above warn", give: slog.HandlerOptions{Level: slog.LevelError}, level: slog.LevelError,
			want: `{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, w := dropTwoStream(t, tt.give, tt.text)
			logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
				HandlerOptions: tt.give,
				Keep:           slog.LevelError + 1, // every record here may be dropped
				Text:           tt.text,
			}))
			dropTwo(t, logger, s, tt.level)
			require.NoError(t, s.Close(), "Close")
			lines := w.Lines()
			require.Len(t, lines, 5, "three records, a summary, the last record")
			assert.Equal(t, fmt.Sprintf(tt.want, s.Stats().DroppedBytes)+"\n", lines[3], "the summary")
		})
	}
}

// A stream keeps the first drop summary it is given: its own option, then
// the first of NewCore and NewSlogHandler.
func TestSlogHandlerSummaryOwner(t *testing.T) {
	custom := func(b []byte, _ time.Time, entries, _ uint64) []byte {
		return fmt.Appendf(b, "custom: %d dropped\n", entries)
	}
	tests := []struct {
		name  string
		opts  []logsink.Option
		first func(*logsink.Stream)
		want  string
	}{
		{name: "WithDropSummary", opts: []logsink.Option{logsink.WithDropSummary(custom)}, want: "custom: 2 dropped\n"},
		{name: "NewCore first", first: func(s *logsink.Stream) { logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel) },
			want: `{"level":"warn","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}` + "\n"},
		{name: "NewSlogHandler", want: `{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":%d}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, w := dropTwoStream(t, slog.HandlerOptions{}, false, tt.opts...)
			if tt.first != nil {
				tt.first(s)
			}
			logger := slog.New(logsink.NewSlogHandler(s, nil))
			logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel) // comes too late
			dropTwo(t, logger, s, slog.LevelInfo)
			require.NoError(t, s.Close(), "Close")
			lines := w.Lines()
			require.Len(t, lines, 5, "three records, a summary, the last record")
			want := tt.want
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, s.Stats().DroppedBytes)
			}
			assert.Equal(t, want, lines[3], "the summary")
		})
	}
}

func TestSlogHandlerNilStream(t *testing.T) {
	var h slog.Handler
	require.NotPanics(t, func() { h = logsink.NewSlogHandler(nil, nil) }, "NewSlogHandler(nil, nil)")
	h = h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g")
	assert.True(t, h.Enabled(context.Background(), slog.LevelInfo), "Enabled")
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "hello", 0))
	require.Error(t, err, "Handle with a nil stream")
	assert.Contains(t, err.Error(), "nil stream", "the error says what is wrong")
}

func TestSlogHandlerAfterClose(t *testing.T) {
	s, w, _ := slogStream(t)
	h := logsink.NewSlogHandler(s, nil)
	require.NoError(t, s.Close(), "Close")
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
		err := h.Handle(context.Background(), slog.NewRecord(time.Now(), level, "late", 0))
		assert.ErrorIs(t, err, logsink.ErrClosed, "Handle at %s after Close", level)
	}
	assert.Empty(t, w.String(), "nothing written")
}

// Goroutines logging at once through one handler and handlers derived from
// it: every record arrives whole, once, in each goroutine's order.
func TestSlogHandlerConcurrent(t *testing.T) {
	const goroutines, each = 8, 500
	s, w, _ := slogStream(t, logsink.WithBufferSize(16<<10), logsink.WithHighWaterMark(4<<10))
	root := slog.New(logsink.NewSlogHandler(s, nil))
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			logger := root
			if g%2 == 1 {
				logger = root.With("g", g).WithGroup("req")
			}
			for i := range each {
				level := slog.LevelInfo
				if i%10 == 0 {
					level = slog.LevelWarn
				}
				logger.Log(context.Background(), level, "record", "goroutine", g, "i", i)
			}
		})
	}
	within(t, "every goroutine finishes", wg.Wait)()
	require.NoError(t, s.Close(), "Close")

	lines := slogLines(t, false, w)
	require.Len(t, lines, goroutines*each, "every record, once")
	next := make([]int, goroutines)
	for _, l := range lines {
		attrs := l
		if req, ok := l["req"].(map[string]any); ok {
			attrs = req
			assert.Equal(t, attrs["goroutine"], l["g"], "With attribute of a derived handler")
		}
		g, i := int(attrs["goroutine"].(float64)), int(attrs["i"].(float64))
		assert.Equal(t, next[g], i, "goroutine %d's records in order", g)
		next[g] = i + 1
	}
	assert.Equal(t, uint64(goroutines*each), s.Stats().Entries, "one entry per record")
}

// Records wait for room in the stream's own queue, each bounded by its own
// timeout: a record waiting does not hold up the others behind a mutex of
// the handler, as slog.NewJSONHandler(stream) would.
func TestSlogHandlerRecordsWaitInTheStreamQueue(t *testing.T) {
	s, w, _ := slogStream(t, logsink.WithBufferSize(2048), logsink.WithHighWaterMark(2048))
	logger := slog.New(logsink.NewSlogHandler(s, nil)).With("service", "api")
	w.Hold()
	for i := 0; s.Buffered() < 1800; i++ {
		require.Less(t, i, 1000, "a 2 KiB buffer fills")
		logger.Info("served", "pad", strings.Repeat("x", 100))
	}
	var waits []func()
	for g := range 3 {
		waits = append(waits, within(t, "a blocked record returns once the destination is released", func() {
			logger.Info("blocked", "g", g, "pad", strings.Repeat("x", 300))
		}))
		waitUntil(t, "the record queues for room", func() bool { return logsink.WaitersOf(s) == g+1 })
	}
	w.Release()
	for _, wait := range waits {
		wait()
	}
	require.NoError(t, s.Close(), "Close")
	assert.Zero(t, s.Stats().Dropped, "Block drops nothing")
	assert.Len(t, slogMsgs(slogLines(t, false, w)), int(s.Stats().Entries), "every record written")
}

// A handler made by WithAttrs or WithGroup formats its attributes with
// every record at first (a handler made for one request costs no more than
// slog's own), then once per lane, as slog's handlers do, from
// SlogPreformatAfter records on.
func TestSlogHandlerPreformatsLongLivedHandlers(t *testing.T) {
	s, w, _ := slogStream(t)
	root := logsink.NewSlogHandler(s, nil)
	h := root.WithAttrs([]slog.Attr{slog.String("service", "api")}).WithGroup("req")
	logger := slog.New(h)
	for i := range logsink.SlogPreformatAfter - 1 {
		logger.Info("record", "i", i)
	}
	assert.False(t, logsink.SlogPreformatted(h), "before %d records, the shared lanes", logsink.SlogPreformatAfter)
	logger.Info("record", "i", logsink.SlogPreformatAfter-1)
	assert.True(t, logsink.SlogPreformatted(h), "from %d records on, lanes of its own", logsink.SlogPreformatAfter)
	logger.Info("record", "i", logsink.SlogPreformatAfter)
	assert.False(t, logsink.SlogPreformatted(root), "the root handler never needs them")
	require.NoError(t, s.Close(), "Close")

	lines := slogLines(t, false, w)
	require.Len(t, lines, logsink.SlogPreformatAfter+1, "every record")
	for i, l := range lines {
		assert.Equal(t, "api", l["service"], "record %d has the With attribute", i)
		assert.Equal(t, map[string]any{"i": float64(i)}, l["req"], "record %d has its attribute in the group", i)
	}
}

func TestSlogHandlerEmptyWith(t *testing.T) {
	s, _, _ := slogStream(t)
	h := logsink.NewSlogHandler(s, nil)
	assert.Same(t, h, h.WithGroup(""), "WithGroup with an empty name returns the receiver, as slog.Handler says")
	assert.Same(t, h, h.WithAttrs(nil), "WithAttrs without attributes returns the receiver")
	assert.Same(t, h, h.WithAttrs([]slog.Attr{slog.Group("empty")}), "WithAttrs with only empty groups returns the receiver")
}

// The handler works beside NewCore on one stream: both keep their
// warnings, and the stream's summary is the first one set.
func TestSlogHandlerBesideNewCore(t *testing.T) {
	s, w, _ := slogStream(t)
	slogger := slog.New(logsink.NewSlogHandler(s, nil))
	zlogger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel))
	slogger.Warn("from slog")
	zlogger.Warn("from zap")
	require.NoError(t, s.Close(), "Close")
	lines := w.Lines()
	require.Len(t, lines, 2, "one line each")
	assert.Contains(t, lines[0], `"msg":"from slog"`, "slog's record")
	assert.Equal(t, `{"level":"warn","msg":"from zap"}`+"\n", lines[1], "zap's entry")
}
