package logsink_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// coreEncoder returns a JSON encoder without time or caller, so that every
// entry's bytes depend only on its level, message and fields.
func coreEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:  "msg",
		LevelKey:    "level",
		NameKey:     "logger",
		EncodeLevel: zapcore.LowercaseLevelEncoder,
		LineEnding:  zapcore.DefaultLineEnding,
	})
}

// coreStream returns a stream over a fresh sinktest.Writer, driven by a mock
// clock so that only the high-water mark, waiting writers and requests make
// the flusher write.
func coreStream(t *testing.T, opts ...logsink.Option) (*logsink.Stream, *sinktest.Writer) {
	t.Helper()
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := logsink.New(w, append([]logsink.Option{logsink.WithClock(clk)}, opts...)...)
	return s, w
}

// coreLine is one decoded entry of the output.
type coreLine struct {
	Level          string  `json:"level"`
	Msg            string  `json:"msg"`
	Logger         string  `json:"logger"`
	Seq            *int    `json:"seq"`
	Req            string  `json:"req"`
	DroppedEntries *uint64 `json:"dropped_entries"`
	DroppedBytes   *uint64 `json:"dropped_bytes"`
}

func (l coreLine) summary() bool { return l.Msg == logsink.DroppedMessage }

// coreMsgs returns the start of each line's message, for failure messages.
func coreMsgs(lines []coreLine) []string {
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l.Msg[:min(len(l.Msg), 30)])
	}
	return msgs
}

func coreLines(t *testing.T, w *sinktest.Writer) []coreLine {
	t.Helper()
	var out []coreLine
	for _, raw := range w.Lines() {
		var l coreLine
		require.NoError(t, json.Unmarshal([]byte(raw), &l), "every output line is one JSON entry: %q", raw)
		out = append(out, l)
	}
	return out
}

// seqLog logs numbered entries through a logger and remembers each entry's
// level and encoded size, so that a test can tell which entries are missing
// from the output and how many bytes they were.
type seqLog struct {
	logger *zap.Logger
	enc    zapcore.Encoder
	levels []zapcore.Level
	sizes  []int
}

func newSeqLog(logger *zap.Logger) *seqLog {
	return &seqLog{logger: logger, enc: coreEncoder()}
}

// log logs the next numbered entry at level l and returns its number. It
// must not be called from two goroutines at once.
func (sl *seqLog) log(l zapcore.Level, msg string, fields ...zap.Field) int {
	seq := len(sl.levels)
	fields = append([]zap.Field{zap.Int("seq", seq)}, fields...)
	buf, err := sl.enc.EncodeEntry(zapcore.Entry{Level: l, Message: msg}, fields)
	if err != nil {
		panic(err)
	}
	sl.levels = append(sl.levels, l)
	sl.sizes = append(sl.sizes, buf.Len())
	buf.Free()
	sl.logger.Log(l, msg, fields...)
	return seq
}

// gapCheck walks the output of a seqLog. For every numbered entry in the
// output it compares the drops reported by the summaries before it with the
// entries missing before it. A summary reports only drops that happened
// before it was written, so reported never exceeds missing; when exact is
// set, the summary must sit at the gap, so every entry that reached the log
// is preceded by summaries accounting for exactly the entries missing before
// it. It returns the totals reported over all summaries.
func gapCheck(t *testing.T, sl *seqLog, lines []coreLine, exact bool) (entries, bytes uint64) {
	t.Helper()
	present := make([]bool, len(sl.levels))
	last := -1
	for _, l := range lines {
		if l.summary() {
			continue
		}
		require.NotNil(t, l.Seq, "entry %q has a seq", l.Msg)
		require.Greater(t, *l.Seq, last, "entries arrive in order")
		present[*l.Seq], last = true, *l.Seq
	}
	var missN, missB uint64 // missing before the current line
	next := 0               // seqs below next are counted in missN/missB
	for i, l := range lines {
		if l.summary() {
			assert.Equal(t, "warn", l.Level, "summary %d level", i)
			require.NotNil(t, l.DroppedEntries, "summary %d has dropped_entries", i)
			require.NotNil(t, l.DroppedBytes, "summary %d has dropped_bytes", i)
			assert.Positive(t, *l.DroppedEntries, "summary %d reports at least one entry", i)
			entries += *l.DroppedEntries
			bytes += *l.DroppedBytes
			continue
		}
		for ; next < *l.Seq; next++ {
			if !present[next] {
				missN++
				missB += uint64(sl.sizes[next])
			}
		}
		if exact {
			assert.Equal(t, missN, entries, "line %d (seq %d): summaries before it report exactly the entries dropped before it", i, *l.Seq)
			assert.Equal(t, missB, bytes, "line %d (seq %d): summaries before it report exactly the bytes dropped before it", i, *l.Seq)
		} else {
			assert.LessOrEqual(t, entries, missN, "line %d (seq %d): summaries before it report no drop that had not happened", i, *l.Seq)
			assert.LessOrEqual(t, bytes, missB, "line %d (seq %d): summaries before it report no bytes that had not been dropped", i, *l.Seq)
		}
	}
	return entries, bytes
}

// fillUntilDropped logs info entries until n more of them have been dropped.
// The writer must be held, so that no room can appear.
func fillUntilDropped(t *testing.T, sl *seqLog, s *logsink.Stream, n uint64) {
	t.Helper()
	target := s.Stats().Dropped + n
	for i := 0; s.Stats().Dropped < target; i++ {
		require.Less(t, i, 10000, "a held writer and a 4 KiB buffer make info entries drop")
		sl.log(zapcore.InfoLevel, "info")
	}
}

func TestCoreLevelAwareDroppingUnderStall(t *testing.T) {
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(1024))
	sl := newSeqLog(zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel)))
	w.Hold()

	// Three rounds of: stall, fill past the buffer, then warnings and
	// errors that must wait for room instead of being dropped.
	var kept []int
	for round := range 3 {
		fillUntilDropped(t, sl, s, 25)
		before := s.Stats().Dropped
		done := make(chan []int)
		go func() {
			// Only this goroutine logs until done is received: seqLog is
			// single-writer and seqs stay in log order.
			done <- []int{sl.log(zapcore.WarnLevel, "warn"), sl.log(zapcore.ErrorLevel, "error")}
		}()
		w.Release()
		kept = append(kept, <-done...)
		assert.Equal(t, before, s.Stats().Dropped, "round %d: warn and error are kept, not dropped", round)
		// Interleave some entries while the flusher catches up, then stall
		// again.
		for range 20 {
			sl.log(zapcore.InfoLevel, "info")
		}
		sl.log(zapcore.WarnLevel, "warn")
		w.Hold()
	}
	w.Release()
	require.NoError(t, s.Sync(), "Sync")
	// The buffer is empty: this entry and a summary of every drop so far fit.
	sl.log(zapcore.InfoLevel, "last")
	require.NoError(t, s.Close(), "Close")

	lines := coreLines(t, w)
	st := s.Stats()
	byLevel := map[string]int{}
	summaries := 0
	got := map[int]bool{}
	for _, l := range lines {
		if l.summary() {
			summaries++
			continue
		}
		byLevel[l.Level]++
		got[*l.Seq] = true
	}
	for _, seq := range kept {
		assert.True(t, got[seq], "entry %d (%s) logged at a full buffer arrived", seq, sl.levels[seq])
	}
	for seq, l := range sl.levels {
		if l >= zapcore.WarnLevel {
			assert.True(t, got[seq], "every warn and error arrives: seq %d (%s)", seq, l)
		}
	}
	infos := 0
	for _, l := range sl.levels {
		if l == zapcore.InfoLevel {
			infos++
		}
	}
	assert.Less(t, byLevel["info"], infos, "some info entries were dropped")
	assert.GreaterOrEqual(t, st.Dropped, uint64(75), "every round dropped entries")
	assert.Equal(t, len(sl.levels)-len(got), int(st.Dropped), "Stats().Dropped counts the missing entries")
	assert.Positive(t, summaries, "a summary entry appears")

	n, nb := gapCheck(t, sl, lines, false)
	// Nothing was dropped after the last summary: the last entry found an
	// empty buffer, so the summaries account for every drop.
	assert.Equal(t, st.Dropped, n, "dropped_entries summed over the summaries equals Stats().Dropped")
	assert.Equal(t, st.DroppedBytes, nb, "dropped_bytes summed over the summaries equals Stats().DroppedBytes")
	assert.Equal(t, st.Entries, uint64(len(lines)), "every accepted entry, summaries included, was written")
	assert.Equal(t, uint64(len(sl.levels)+summaries), st.Entries+st.Dropped,
		"Entries + Dropped = entries logged + summaries written")
}

// The summary must sit at the gap: the first entry that finds room after
// drops is preceded by a summary of them, even when that entry had to wait
// for the room (a warning under the Drop policy).
func TestCoreSummaryPrecedesKeptEntryThatWaited(t *testing.T) {
	// High-water mark = buffer size: the flusher runs only when a writer
	// waits for room (or on a request), so the sizes below decide.
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(4096))
	sl := newSeqLog(zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel)))

	// Fill to 60 bytes short of the buffer, then drop a bigger entry.
	sl.log(zapcore.InfoLevel, "fill", zap.String("pad", coreFill(t, 4096-60)))
	coreDrop(t, sl, s, 60)
	// A warning that does not fit either: it wakes the flusher, waits for
	// room and is kept.
	sl.log(zapcore.WarnLevel, "warn "+strings.Repeat("w", 80))
	assert.Equal(t, uint64(1), s.Stats().Dropped, "the warning was kept")
	require.NoError(t, s.Sync(), "Sync")
	sl.log(zapcore.InfoLevel, "after")
	require.NoError(t, s.Close(), "Close")

	lines := coreLines(t, w)
	require.Len(t, lines, 4, "fill, summary, warn, after: %q", coreMsgs(lines))
	assert.True(t, lines[1].summary(), "the summary comes right before the warning that waited for room: %q", coreMsgs(lines))
	gapCheck(t, sl, lines, true)
}

// The summary must sit at the gap even when the next entry is smaller than
// the summary: an entry that fits where its summary does not must not slip
// in ahead of it.
func TestCoreSummaryPrecedesSmallEntry(t *testing.T) {
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(4096))
	sl := newSeqLog(zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel)))

	sl.log(zapcore.InfoLevel, "fill", zap.String("pad", coreFill(t, 4096-60)))
	coreDrop(t, sl, s, 60)
	sl.log(zapcore.InfoLevel, "s") // about 40 bytes: fits, but not with a summary
	require.NoError(t, s.Sync(), "Sync")
	sl.log(zapcore.InfoLevel, "after")
	require.NoError(t, s.Close(), "Close")

	n, nb := gapCheck(t, sl, coreLines(t, w), true)
	st := s.Stats()
	assert.Equal(t, st.Dropped, n, "summaries report every drop")
	assert.Equal(t, st.DroppedBytes, nb, "summaries report every dropped byte")
}

// coreFill returns padding that makes the first entry of
// TestCoreSummaryPrecede* exactly size bytes.
func coreFill(t *testing.T, size int) string {
	t.Helper()
	enc := coreEncoder()
	buf, err := enc.EncodeEntry(zapcore.Entry{Level: zapcore.InfoLevel, Message: "fill"},
		[]zapcore.Field{zap.Int("seq", 0), zap.String("pad", "")})
	require.NoError(t, err, "EncodeEntry")
	defer buf.Free()
	return strings.Repeat("x", size-buf.Len())
}

// coreDrop logs one info entry bigger than room, which must be dropped.
func coreDrop(t *testing.T, sl *seqLog, s *logsink.Stream, room int) {
	t.Helper()
	before := s.Stats().Dropped
	seq := sl.log(zapcore.InfoLevel, strings.Repeat("d", room))
	require.Greater(t, sl.sizes[seq], room, "entry %d is bigger than the room left", seq)
	require.Equal(t, before+1, s.Stats().Dropped, "entry %d does not fit and is dropped", seq)
}

func TestCoreKeepAtOrAbove(t *testing.T) {
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(1024))
	sl := newSeqLog(zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel, logsink.KeepAtOrAbove(zapcore.ErrorLevel))))
	w.Hold()
	fillUntilDropped(t, sl, s, 1)

	before := s.Stats().Dropped
	warn := sl.log(zapcore.WarnLevel, "warn") // returns at once: droppable now
	assert.Equal(t, before+1, s.Stats().Dropped, "below the keep level, a warning is dropped")
	done := make(chan int)
	go func() { done <- sl.log(zapcore.ErrorLevel, "error") }()
	w.Release()
	errSeq := <-done
	assert.Equal(t, before+1, s.Stats().Dropped, "at the keep level, an error waits and is kept")
	require.NoError(t, s.Close(), "Close")

	seen := map[int]bool{}
	for _, l := range coreLines(t, w) {
		if !l.summary() {
			seen[*l.Seq] = true
		}
	}
	assert.False(t, seen[warn], "the warning was dropped")
	assert.True(t, seen[errSeq], "the error arrived")
}

func TestCoreNilOptionIgnored(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel, nil))
	logger.Info("hello")
	require.NoError(t, s.Close(), "Close")
	assert.Equal(t, []string{`{"level":"info","msg":"hello"}` + "\n"}, w.Lines(), "a nil CoreOption is ignored")
}

func TestCoreWith(t *testing.T) {
	s, w := coreStream(t)
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel))
	child := logger.With(zap.String("req", "r1"))
	child.Info("child")
	logger.Info("parent")
	child.With(zap.String("user", "u")).Info("grandchild")
	child.Info("child again")
	require.NoError(t, s.Close(), "Close")

	assert.Equal(t, []string{
		`{"level":"info","msg":"child","req":"r1"}` + "\n",
		`{"level":"info","msg":"parent"}` + "\n",
		`{"level":"info","msg":"grandchild","req":"r1","user":"u"}` + "\n",
		`{"level":"info","msg":"child again","req":"r1"}` + "\n",
	}, w.Lines(), "With adds fields to the clone only")
}

// A summary describes the stream, not the request that happened to trigger
// it: it carries none of the With fields of the logger that wrote it.
func TestCoreSummaryWithoutWithFields(t *testing.T) {
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(1024))
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel)).With(zap.String("req", "r1"))
	w.Hold()
	for i := 0; s.Stats().Dropped == 0; i++ {
		require.Less(t, i, 10000, "entries drop")
		logger.Info("info")
	}
	w.Release()
	require.NoError(t, s.Sync(), "Sync")
	logger.Info("after")
	require.NoError(t, s.Close(), "Close")

	lines := coreLines(t, w)
	require.GreaterOrEqual(t, len(lines), 2, "output")
	sum := lines[len(lines)-2]
	require.True(t, sum.summary(), "a summary precedes the last entry: %v", lines[len(lines)-2:])
	assert.Empty(t, sum.Req, "the summary has no With fields")
	assert.Equal(t, "r1", lines[len(lines)-1].Req, "the entry keeps its With fields")
}

func TestCoreCheckAndLevel(t *testing.T) {
	s, w := coreStream(t)
	defer func() { assert.NoError(t, s.Close(), "Close") }()
	lvl := zap.NewAtomicLevelAt(zapcore.WarnLevel)
	core := logsink.NewCore(coreEncoder(), s, lvl)

	assert.Equal(t, zapcore.WarnLevel, zapcore.LevelOf(core), "LevelOf reports the enabler's level")
	for _, tt := range []struct {
		give zapcore.Level
		want bool
	}{
		{zapcore.DebugLevel, false},
		{zapcore.InfoLevel, false},
		{zapcore.WarnLevel, true},
		{zapcore.ErrorLevel, true},
	} {
		ce := core.Check(zapcore.Entry{Level: tt.give, Message: "m"}, nil)
		assert.Equal(t, tt.want, ce != nil, "Check at %s", tt.give)
		assert.Equal(t, tt.want, core.Enabled(tt.give), "Enabled(%s)", tt.give)
	}

	lvl.SetLevel(zapcore.DebugLevel)
	assert.Equal(t, zapcore.DebugLevel, zapcore.LevelOf(core), "LevelOf follows an atomic level")
	assert.Equal(t, zapcore.DebugLevel, zapcore.LevelOf(core.With([]zapcore.Field{zap.Int("a", 1)})), "a clone keeps the enabler")

	lvl.SetLevel(zapcore.ErrorLevel)
	logger := zap.New(core)
	logger.Warn("filtered")
	logger.Error("kept")
	require.NoError(t, s.Sync(), "Sync")
	assert.Equal(t, []string{`{"level":"error","msg":"kept"}` + "\n"}, w.Lines(), "only enabled levels are written")
}

func TestCoreSync(t *testing.T) {
	s, w := coreStream(t)
	core := logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel)
	require.NoError(t, core.Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}, nil), "Write")
	assert.Empty(t, w.String(), "the entry is buffered, below the high-water mark")

	require.NoError(t, core.Sync(), "Sync")
	assert.Equal(t, `{"level":"info","msg":"m"}`+"\n", w.String(), "Sync flushed the entry")
	_, syncs, _ := w.Counts()
	assert.Equal(t, 1, syncs, "Sync synced the destination")

	w.FailSync(sinktest.ErrInjected)
	assert.ErrorIs(t, core.Sync(), sinktest.ErrInjected, "Sync returns the destination's Sync error")
	w.FailSync(nil)
	require.NoError(t, s.Close(), "Close")

	err := core.Write(zapcore.Entry{Level: zapcore.ErrorLevel, Message: "late"}, nil)
	assert.ErrorIs(t, err, logsink.ErrClosed, "Write after Close")
	err = core.Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "late"}, nil)
	assert.ErrorIs(t, err, logsink.ErrClosed, "Write after Close, droppable level")
}

func TestCoreConcurrentWritersUnderDrop(t *testing.T) {
	s, w := coreStream(t, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(4096), logsink.WithHighWaterMark(1024))
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel))
	w.Hold()

	const writers, infos, warns = 4, 200, 5
	var infosDone, allDone sync.WaitGroup
	for g := range writers {
		infosDone.Add(1)
		allDone.Add(1)
		go func() {
			defer allDone.Done()
			l := logger.With(zap.Int("g", g))
			for i := range infos {
				l.Info("info", zap.Int("i", i))
			}
			infosDone.Done()
			for i := range warns {
				l.Warn("warn", zap.Int("i", i))
			}
		}()
	}
	infosDone.Wait() // 800 entries of ~45 bytes: past the 4 KiB buffer
	w.Release()
	allDone.Wait()
	require.NoError(t, s.Sync(), "Sync")
	logger.Info("last")
	require.NoError(t, s.Close(), "Close")

	var n, nb uint64
	warnSeen := map[string]bool{}
	var summaries int
	for _, raw := range w.Lines() {
		var l struct {
			Level          string `json:"level"`
			Msg            string `json:"msg"`
			G, I           int
			DroppedEntries uint64 `json:"dropped_entries"`
			DroppedBytes   uint64 `json:"dropped_bytes"`
		}
		require.NoError(t, json.Unmarshal([]byte(raw), &l), "line %q", raw)
		switch {
		case l.Msg == logsink.DroppedMessage:
			summaries++
			n += l.DroppedEntries
			nb += l.DroppedBytes
		case l.Level == "warn":
			warnSeen[fmt.Sprint(l.G, "/", l.I)] = true
		}
	}
	assert.Len(t, warnSeen, writers*warns, "every warning arrived")
	st := s.Stats()
	assert.Positive(t, st.Dropped, "info entries were dropped")
	assert.Equal(t, st.Dropped, n, "summaries report every dropped entry once")
	assert.Equal(t, st.DroppedBytes, nb, "summaries report every dropped byte once")
	assert.Equal(t, uint64(writers*(infos+warns)+1+summaries), st.Entries+st.Dropped, "Entries + Dropped = entries logged + summaries")
}

// An entry the encoder refuses is an error from Write and leaves the stream
// untouched.
func TestCoreEncoderError(t *testing.T) {
	s, w := coreStream(t)
	core := logsink.NewCore(failingEncoder{coreEncoder()}, s, zapcore.InfoLevel)
	err := core.Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}, nil)
	assert.ErrorIs(t, err, errEncode, "Write returns the encoder's error")
	require.NoError(t, s.Close(), "Close")
	assert.Empty(t, w.String(), "nothing was written")
	assert.Zero(t, s.Stats().Entries, "nothing was buffered")
}

var errEncode = errors.New("encode failed")

type failingEncoder struct{ zapcore.Encoder }

func (e failingEncoder) Clone() zapcore.Encoder { return failingEncoder{e.Encoder.Clone()} }

func (failingEncoder) EncodeEntry(zapcore.Entry, []zapcore.Field) (*buffer.Buffer, error) {
	return nil, errEncode
}

// zap does not Sync before it panics or exits: like zapcore's own ioCore,
// the core must write DPanic, Panic and Fatal entries through to the
// destination before its Write returns, or os.Exit loses them in the buffer.
func TestCoreSyncsCrashingLevels(t *testing.T) {
	for _, tt := range []struct {
		give zapcore.Level
		want bool // synced through to the destination
	}{
		{zapcore.InfoLevel, false},
		{zapcore.ErrorLevel, false},
		{zapcore.DPanicLevel, true},
		{zapcore.PanicLevel, true},
		{zapcore.FatalLevel, true},
	} {
		t.Run(tt.give.String(), func(t *testing.T) {
			s, w := coreStream(t)
			core := logsink.NewCore(coreEncoder(), s, zapcore.DebugLevel)
			require.NoError(t, core.Write(zapcore.Entry{Level: tt.give, Message: "m"}, nil), "Write")
			_, syncs, _ := w.Counts()
			if tt.want {
				assert.Equal(t, `{"level":"`+tt.give.String()+`","msg":"m"}`+"\n", w.String(), "the entry reached the destination before Write returned")
				assert.Equal(t, 1, syncs, "the destination was synced")
			} else {
				assert.Empty(t, w.String(), "the entry waits in the buffer")
				assert.Zero(t, syncs, "no sync")
			}
			require.NoError(t, s.Close(), "Close")
		})
	}
}

// The same through a zap.Logger: when Fatal's hook runs (os.Exit in
// production), the entry is already at the destination.
func TestCoreFatalReachesDestinationBeforeExit(t *testing.T) {
	s, w := coreStream(t)
	hook := &recordingHook{w: w}
	logger := zap.New(logsink.NewCore(coreEncoder(), s, zapcore.InfoLevel), zap.WithFatalHook(hook))
	logger.Fatal("cannot start")
	assert.Equal(t, `{"level":"fatal","msg":"cannot start"}`+"\n", hook.seen, "written when the fatal hook ran")
	require.NoError(t, s.Close(), "Close")
}

// recordingHook stands in for os.Exit: it records what had reached the
// destination when zap called it.
type recordingHook struct {
	w    *sinktest.Writer
	seen string
}

func (h *recordingHook) OnWrite(*zapcore.CheckedEntry, []zapcore.Field) { h.seen = h.w.String() }

func TestCoreNilStream(t *testing.T) {
	core := logsink.NewCore(coreEncoder(), nil, zapcore.InfoLevel)
	assert.ErrorContains(t, core.Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "x"}, nil), "nil stream", "Write")
	assert.ErrorContains(t, core.Sync(), "nil stream", "Sync")
}
