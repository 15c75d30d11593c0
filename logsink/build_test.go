package logsink_test

import (
	"encoding/json"
	"expvar"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// testZapConfig is a zap config whose output is deterministic JSON.
func testZapConfig(out, errOut string) zap.Config {
	return zap.Config{
		Level:             zap.NewAtomicLevelAt(zapcore.InfoLevel),
		Encoding:          "json",
		DisableCaller:     true,
		DisableStacktrace: true,
		EncoderConfig: zapcore.EncoderConfig{
			MessageKey:  "msg",
			LevelKey:    "level",
			EncodeLevel: zapcore.LowercaseLevelEncoder,
		},
		OutputPaths:      []string{out},
		ErrorOutputPaths: []string{errOut},
	}
}

// assertClosedOnce checks that the Build that opened ts closed it: the
// stream ended and its destination was closed exactly once.
func assertClosedOnce(t *testing.T, ts *testSink, what string) {
	t.Helper()
	assert.True(t, ts.s.Ended(), "%s: stream ended", what)
	_, _, closes := ts.w.Counts()
	assert.Equal(t, 1, closes, "%s: destination closed once", what)
}

func TestBuildLogsAndCloses(t *testing.T) {
	registerTestScheme(t)
	logger, closeAll, err := logsink.Build(testZapConfig("sinktest://build-out", "sinktest://build-err"),
		zap.Fields(zap.String("svc", "api")))
	require.NoError(t, err, "Build")
	out, errOut := openedSinks("build-out"), openedSinks("build-err")
	require.Len(t, out, 1, "one output stream")
	require.Len(t, errOut, 1, "one error output stream")

	logger.Info("hello", zap.Int("n", 1))
	logger.Debug("below the level")
	logger.Warn("careful")
	assert.Empty(t, out[0].w.String(), "entries wait in the stream's buffer")
	require.NoError(t, closeAll(), "close")

	assert.Equal(t, []string{
		`{"level":"info","msg":"hello","svc":"api","n":1}` + "\n",
		`{"level":"warn","msg":"careful","svc":"api"}` + "\n",
	}, out[0].w.Lines(), "the close function flushed every entry; Build applied the zap options")
	assert.True(t, out[0].s.Finished(), "output stream finished")
	_, syncs, _ := out[0].w.Counts()
	assert.Positive(t, syncs, "the output was synced")
	assertClosedOnce(t, out[0], "output")
	assertClosedOnce(t, errOut[0], "error output")

	require.NoError(t, closeAll(), "a second close is harmless")
	assertClosedOnce(t, out[0], "output after a second close")
}

// The URL's query configures the stream through logsink.Config, and a bad
// value is an open error that carries the URL and names the setting.
func TestBuildURLQuery(t *testing.T) {
	registerTestScheme(t)
	logger, closeAll, err := logsink.Build(testZapConfig(
		"sinktest://query?buffer_size=4KiB&high_water_mark=1KiB&policy=drop", "sinktest://query-err"))
	require.NoError(t, err, "Build")
	out := openedSinks("query")
	require.Len(t, out, 1, "one output stream")
	assert.Equal(t, 1024, out[0].s.HighWaterMark(), "high_water_mark from the URL")
	logger.Info("configured")
	require.NoError(t, closeAll(), "close")
	assert.Equal(t, []string{`{"level":"info","msg":"configured"}` + "\n"}, out[0].w.Lines(), "written")
	openedSinks("query-err")

	const bad = "sinktest://bad-query?policy=fast"
	_, _, err = logsink.Build(testZapConfig(bad, "sinktest://bad-query-err"))
	require.Error(t, err, "Build with a bad query")
	assert.Contains(t, err.Error(), bad, "the error carries the URL")
	assert.Contains(t, err.Error(), `policy="fast"`, "the error names the setting and the value")
	assert.Empty(t, openedSinks("bad-query"), "nothing was opened for the bad URL")
	for _, ts := range openedSinks("bad-query-err") {
		assertClosedOnce(t, ts, "error output of the failed Build")
	}
}

// zap.Config.Build opens the sinks and then fails on a missing Level,
// dropping them; Build checks the Level first and opens nothing.
func TestBuildFailureOpensNothing(t *testing.T) {
	registerTestScheme(t)
	cfg := testZapConfig("sinktest://nolevel-out", "sinktest://nolevel-err")
	cfg.Level = zap.AtomicLevel{}
	logger, closeAll, err := logsink.Build(cfg)
	require.Error(t, err, "Build without a Level")
	assert.Contains(t, err.Error(), "missing Level", "zap's error")
	assert.Nil(t, logger, "no logger")
	assert.Nil(t, closeAll, "no close function")
	assert.Empty(t, openedSinks("nolevel-out"), "the output stream was not opened")
	assert.Empty(t, openedSinks("nolevel-err"), "the error output stream was not opened")
}

// When one sink fails to open, the streams opened before it are closed once
// (zap closes them, and Build's Close of them is a no-op).
func TestBuildOpenFailureClosesOthers(t *testing.T) {
	registerTestScheme(t)
	for _, tt := range []struct {
		name      string
		out, errs []string
		opened    []string // hosts whose streams were opened before the failure
	}{
		{"second output fails",
			[]string{"sinktest://of-first", "sinktest://of-second?fail=1"}, []string{"sinktest://of-err"},
			[]string{"of-first"}},
		{"error output fails",
			[]string{"sinktest://ef-out"}, []string{"sinktest://ef-err?fail=1"},
			[]string{"ef-out"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testZapConfig("", "")
			cfg.OutputPaths, cfg.ErrorOutputPaths = tt.out, tt.errs
			logger, closeAll, err := logsink.Build(cfg)
			require.Error(t, err, "Build")
			assert.ErrorIs(t, err, errOpenRefused, "the open error")
			assert.Nil(t, logger, "no logger")
			assert.Nil(t, closeAll, "no close function")
			for _, host := range tt.opened {
				ts := openedSinks(host)
				require.Len(t, ts, 1, "%s was opened", host)
				assertClosedOnce(t, ts[0], host)
			}
			for _, u := range append(tt.out, tt.errs...) {
				if host := strings.TrimPrefix(strings.Split(u, "?")[0], "sinktest://"); !slices.Contains(tt.opened, host) {
					assert.Empty(t, openedSinks(host), "%s was not opened", host)
				}
			}
		})
	}
}

// A bad encoding fails before any sink is opened.
func TestBuildEncoderFailure(t *testing.T) {
	registerTestScheme(t)
	cfg := testZapConfig("sinktest://enc-out", "sinktest://enc-err")
	cfg.Encoding = "nope"
	_, _, err := logsink.Build(cfg)
	require.Error(t, err, "Build with an unknown encoding")
	assert.Empty(t, openedSinks("enc-out"), "nothing opened")
	assert.Empty(t, openedSinks("enc-err"), "nothing opened")
}

// Concurrent Builds each close only the streams they opened.
func TestBuildConcurrent(t *testing.T) {
	registerTestScheme(t)
	hosts := []string{"conc-a", "conc-b", "conc-c", "conc-d"}
	closers := make([]func() error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logger, closeAll, err := logsink.Build(testZapConfig("sinktest://"+h, "sinktest://"+h+"-err"))
			if !assert.NoError(t, err, "Build %s", h) {
				return
			}
			logger.Info(h)
			closers[i] = closeAll
		}()
	}
	wg.Wait()
	opened := map[string]*testSink{}
	for _, h := range hosts {
		for _, host := range []string{h, h + "-err"} {
			ts := openedSinks(host)
			require.Len(t, ts, 1, "%s opened once", host)
			opened[host] = ts[0]
		}
	}
	for i, h := range hosts {
		require.NotNil(t, closers[i], "Build %s", h)
		require.NoError(t, closers[i](), "close %s", h)
		for j, other := range hosts {
			closed := j <= i
			assert.Equal(t, closed, opened[other].s.Ended(), "after closing %s: %s ended", h, other)
			assert.Equal(t, closed, opened[other+"-err"].s.Ended(), "after closing %s: %s-err ended", h, other)
		}
		assert.Equal(t, []string{`{"level":"info","msg":"` + h + `"}` + "\n"}, opened[h].w.Lines(), "%s got its own entry", h)
	}
}

// A stream opened from a URL gets NewCore through Build: under Drop, info
// entries are dropped while the destination stalls, warnings wait and
// arrive, and a summary entry reports the drops.
func TestBuildKeepsWarningsUnderDrop(t *testing.T) {
	registerTestScheme(t)
	logger, closeAll, err := logsink.Build(testZapConfig(
		"sinktest://keep?policy=drop&buffer_size=1KiB&hold=1", "sinktest://keep-err"))
	require.NoError(t, err, "Build")
	out := openedSinks("keep")
	require.Len(t, out, 1, "one output stream")

	for range 100 {
		logger.Info("droppable")
	}
	require.NotZero(t, out[0].s.Stats().Dropped, "the stalled stream dropped info entries")
	warned := make(chan struct{})
	go func() {
		defer close(warned)
		logger.Warn("kept")
	}()
	out[0].w.Release()
	<-warned
	require.NoError(t, closeAll(), "close")

	lines := strings.Join(out[0].w.Lines(), "")
	assert.Contains(t, lines, `{"level":"warn","msg":"kept"}`, "the warning arrived")
	assert.Contains(t, lines, logsink.DroppedMessage, "a summary reports the drops")
	assertClosedOnce(t, openedSinks("keep-err")[0], "error output")
}

// Output paths of other schemes still get zap's own core, beside the
// streams.
func TestBuildMixesStreamsAndFiles(t *testing.T) {
	registerTestScheme(t)
	file := t.TempDir() + "/plain.log"
	cfg := testZapConfig("sinktest://mixed", "sinktest://mixed-err")
	cfg.OutputPaths = append(cfg.OutputPaths, file)
	cfg.InitialFields = map[string]any{"svc": "demo"}
	logger, closeAll, err := logsink.Build(cfg)
	require.NoError(t, err, "Build")
	logger.Info("to both")
	require.NoError(t, closeAll(), "close")

	want := `{"level":"info","msg":"to both","svc":"demo"}` + "\n"
	out := openedSinks("mixed")
	require.Len(t, out, 1)
	assert.Equal(t, want, out[0].w.String(), "the stream, with the initial fields")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "the plain file")
	openedSinks("mixed-err")
}

// logAll logs the same sequence through any logger whose clock is clock:
// enough identical entries for zap's sampler to drop some, in two of its
// one-second ticks, every level, a child logger with fields, and a named
// one. Both loggers under comparison are called from one line, so that
// callers and stack traces match.
func logAll(logger *zap.Logger, clock *sinktest.MockClock) {
	for i := range 300 {
		if i == 150 {
			clock.Add(1500 * time.Millisecond) // the sampler starts counting again
		}
		logger.Info("request served", zap.Int("i", i))
	}
	logger.Debug("debugging", zap.String("k", "v"))
	logger.Warn("careful", zap.Bool("b", true))
	logger.Error("failed", zap.Error(os.ErrNotExist))
	logger.With(zap.String("child", "c")).Info("from a child", zap.Int64("n", 7))
	logger.Named("sub").Info("named")
	_ = logger.Sync()
}

// readLines reads a file's lines, each with its newline.
func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err, "read %s", name)
	return strings.SplitAfter(string(b), "\n")[:strings.Count(string(b), "\n")]
}

// Build writes exactly what cfg.Build writes, over the same outputs: the
// same fields, initial fields, caller, stack traces, development
// behaviour and sampling, whether an output is a stream or a plain file.
func TestBuildMatchesZap(t *testing.T) {
	registerTestScheme(t)
	dev, prod := zap.NewDevelopmentConfig(), zap.NewProductionConfig()
	noSampling := zap.NewProductionConfig()
	noSampling.Sampling = nil
	fields := zap.NewProductionConfig()
	fields.InitialFields = map[string]any{"service": "api", "version": 3, "a_first": true}
	bare := zap.NewProductionConfig()
	bare.DisableCaller, bare.DisableStacktrace = true, true
	debugSampled := zap.NewDevelopmentConfig()
	debugSampled.Sampling = &zap.SamplingConfig{Initial: 10, Thereafter: 50}

	for _, tt := range []struct {
		name        string
		cfg         zap.Config
		wantSampled uint64
	}{
		{"development", dev, 0},
		{"production", prod, 100}, // 150 identical entries a second: the first 100 kept
		{"production without sampling", noSampling, 0},
		{"initial fields", fields, 100},
		{"no caller and no stack traces", bare, 100},
		{"development with sampling", debugSampled, 276}, // 150 a second: the first 10, the 60th and the 110th kept
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			host := "match-" + strings.ReplaceAll(tt.name, " ", "-")
			start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			zapClock, ourClock := sinktest.NewMockClock(start), sinktest.NewMockClock(start)

			zapCfg := tt.cfg
			zapCfg.OutputPaths = []string{filepath.Join(dir, "zap.log")}
			zapCfg.ErrorOutputPaths = []string{filepath.Join(dir, "zap-errors.log")}
			zapLogger, err := zapCfg.Build(zap.WithClock(zapClock))
			require.NoError(t, err, "cfg.Build")

			ourCfg := tt.cfg
			ourCfg.OutputPaths = []string{"sinktest://" + host, filepath.Join(dir, "ours.log")}
			ourCfg.ErrorOutputPaths = []string{filepath.Join(dir, "our-errors.log")}
			ourLogger, streams, err := logsink.BuildStreams(ourCfg, zap.WithClock(ourClock))
			require.NoError(t, err, "BuildStreams")

			for _, run := range []struct {
				l *zap.Logger
				c *sinktest.MockClock
			}{{zapLogger, zapClock}, {ourLogger, ourClock}} {
				logAll(run.l, run.c)
			}
			require.NoError(t, streams.Close(), "close")

			want := readLines(t, filepath.Join(dir, "zap.log"))
			require.NotEmpty(t, want, "cfg.Build's logger wrote")
			sinks := openedSinks(host)
			require.Len(t, sinks, 1, "one stream")
			assert.Equal(t, want, sinks[0].w.Lines(), "the stream got what cfg.Build writes")
			assert.Equal(t, want, readLines(t, filepath.Join(dir, "ours.log")), "the plain file got what cfg.Build writes")
			assert.Equal(t, tt.wantSampled, sinks[0].s.Stats().Sampled, "entries zap's sampler dropped")
		})
	}
}

// Under an encoding Build has no encoder for, the logger is cfg.Build's own,
// writing to the streams Build opened, which it closes.
func TestBuildOtherEncoding(t *testing.T) {
	registerTestScheme(t)
	registerEncoderOnce.Do(func() {
		registerEncoderErr = zap.RegisterEncoder("logsink-test-json", func(c zapcore.EncoderConfig) (zapcore.Encoder, error) {
			return zapcore.NewJSONEncoder(c), nil
		})
	})
	require.NoError(t, registerEncoderErr, "RegisterEncoder")
	cfg := testZapConfig("sinktest://other-enc", "sinktest://other-enc-err")
	cfg.Encoding = "logsink-test-json"
	cfg.Sampling = &zap.SamplingConfig{Initial: 1, Thereafter: 0}
	logger, streams, err := logsink.BuildStreams(cfg)
	require.NoError(t, err, "BuildStreams")
	logger.Info("same")
	logger.Info("same")
	require.NoError(t, streams.Close(), "close")

	out := openedSinks("other-enc")
	require.Len(t, out, 1, "one output stream")
	assert.Equal(t, []string{`{"level":"info","msg":"same"}` + "\n"}, out[0].w.Lines(), "written by zap's core")
	assert.Equal(t, uint64(1), out[0].s.Stats().Sampled, "the sampled entry is counted")
	assertClosedOnce(t, out[0], "output")
	assertClosedOnce(t, openedSinks("other-enc-err")[0], "error output")
}

var (
	registerEncoderOnce sync.Once
	registerEncoderErr  error
)

// BuildStreams gives the streams it opened by URL, opening a URL listed
// twice (here as an output and an error output) once.
func TestBuildStreams(t *testing.T) {
	registerTestScheme(t)
	const out, both = "sinktest://streams-out?reopen=1", "sinktest://streams-both"
	cfg := testZapConfig(out, both)
	cfg.OutputPaths = append(cfg.OutputPaths, both, both)
	logger, streams, err := logsink.BuildStreams(cfg)
	require.NoError(t, err, "BuildStreams")
	outSinks, bothSinks := openedSinks("streams-out"), openedSinks("streams-both")
	require.Len(t, outSinks, 1, "the output opened once")
	require.Len(t, bothSinks, 1, "the URL listed three times opened once")

	assert.Equal(t, []string{out, both}, streams.URLs(), "URLs in the order opened")
	assert.Same(t, outSinks[0].s, streams.Stream(out), "Stream(url)")
	assert.Same(t, bothSinks[0].s, streams.Stream(both), "Stream(url)")
	assert.Nil(t, streams.Stream("sinktest://never"), "no stream for another URL")

	logger.Info("to both")
	require.NoError(t, logger.Sync(), "Sync")
	stats := streams.Stats()
	assert.Len(t, stats, 2, "Stats has a key per URL")
	assert.Equal(t, uint64(1), stats[out].Entries, "the output's entries")
	assert.Equal(t, uint64(1), stats[both].Entries, "one entry, not one per listing")

	require.NoError(t, streams.Reopen(), "Reopen skips streams that cannot reopen")
	assert.Equal(t, int32(1), outSinks[0].reopens.Load(), "the reopenable stream reopened")
	assert.Equal(t, uint64(1), streams.Stream(out).Stats().Reopens, "counted in its Stats")

	require.NoError(t, streams.Close(), "Close")
	assertClosedOnce(t, outSinks[0], "output")
	assertClosedOnce(t, bothSinks[0], "output and error output")
	assert.Equal(t, []string{`{"level":"info","msg":"to both"}` + "\n"}, bothSinks[0].w.Lines(), "written once")
	require.NoError(t, streams.Close(), "a second Close is harmless")

	err = streams.Reopen()
	require.Error(t, err, "Reopen after Close")
	assert.ErrorIs(t, err, logsink.ErrClosed, "the stream's error")
	assert.Contains(t, err.Error(), out, "the error names the URL")
}

// The streams' Stats publish through expvar as JSON, keyed by URL.
func TestBuildStreamsExpvar(t *testing.T) {
	registerTestScheme(t)
	_, streams, err := logsink.BuildStreams(testZapConfig("sinktest://expvar", "stderr"))
	require.NoError(t, err, "BuildStreams")
	defer func() { require.NoError(t, streams.Close(), "Close") }()
	openedSinks("expvar")
	v := expvar.Func(func() any { return streams.Stats() })
	var got map[string]logsink.Stats
	require.NoError(t, json.Unmarshal([]byte(v.String()), &got), "expvar's JSON: %s", v)
	assert.Contains(t, got, "sinktest://expvar", "keyed by URL")
}

// closeCounter is a zap sink of a scheme that is not a stream scheme.
type closeCounter struct {
	zapcore.WriteSyncer
	closes *atomic.Int32
}

func (c closeCounter) Close() error {
	c.closes.Add(1)
	return nil
}

var (
	plainSinkOnce sync.Once
	plainSinkErr  error
	plainCloses   atomic.Int32
)

// Output paths of other schemes are opened by zap, written by zap's own
// core, and closed with the streams: cfg.Build would lose their closers.
func TestBuildClosesOtherOutputs(t *testing.T) {
	registerTestScheme(t)
	plainSinkOnce.Do(func() {
		plainSinkErr = zap.RegisterSink("logsink-plain", func(*url.URL) (zap.Sink, error) {
			return closeCounter{zapcore.AddSync(io.Discard), &plainCloses}, nil
		})
	})
	require.NoError(t, plainSinkErr, "RegisterSink")
	before := plainCloses.Load()
	_, streams, err := logsink.BuildStreams(testZapConfig("logsink-plain://x", "stderr"))
	require.NoError(t, err, "BuildStreams")
	assert.Equal(t, before, plainCloses.Load(), "open until Close")
	require.NoError(t, streams.Close(), "Close")
	assert.Equal(t, before+1, plainCloses.Load(), "closed by Close")

	// And when a later stream fails to open.
	cfg := testZapConfig("logsink-plain://y", "stderr")
	cfg.OutputPaths = append(cfg.OutputPaths, "sinktest://plain-fail?fail=1")
	_, _, err = logsink.BuildStreams(cfg)
	require.Error(t, err, "BuildStreams")
	assert.Equal(t, before+1, plainCloses.Load(), "a failed stream open happens before the other outputs are opened")

	// And when zap then fails to open an error output.
	cfg = testZapConfig("logsink-plain://z", filepath.Join(t.TempDir(), "no", "such", "dir.log"))
	_, _, err = logsink.BuildStreams(cfg)
	require.Error(t, err, "BuildStreams")
	assert.Equal(t, before+2, plainCloses.Load(), "closed when the Build fails")
}
