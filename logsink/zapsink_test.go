package logsink_test

import (
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// The "sinktest" scheme opens a Stream over a sinktest.Writer. Its URL's
// host names the sink, so a test can find what it opened; its query holds
// logsink.Config settings, plus fail=1 to make the open fail.
const testScheme = "sinktest"

var (
	registerOnce sync.Once
	registerErr  error

	sinksMu sync.Mutex
	sinks   = map[string][]*testSink{} // by URL host, in opening order
)

type testSink struct {
	w *sinktest.Writer
	s *logsink.Stream
}

var errOpenRefused = errors.New("open refused")

func openTestSink(u *url.URL) (*logsink.Stream, error) {
	q := u.Query()
	if q.Get("fail") != "" {
		return nil, errOpenRefused
	}
	var cfg logsink.Config
	if err := confkit.Query(&cfg, q, "hold"); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ts := &testSink{w: sinktest.NewWriter()}
	if q.Get("hold") != "" {
		ts.w.Hold() // the destination stalls until the test releases it
	}
	ts.s = logsink.New(ts.w, cfg.Options()...)
	sinksMu.Lock()
	sinks[u.Host] = append(sinks[u.Host], ts)
	sinksMu.Unlock()
	return ts.s, nil
}

// registerTestScheme registers the scheme once per test binary: zap's
// registry is global and outlives a test run under -count.
func registerTestScheme(t *testing.T) {
	t.Helper()
	registerOnce.Do(func() { registerErr = logsink.RegisterScheme(testScheme, openTestSink) })
	require.NoError(t, registerErr, "RegisterScheme(%q)", testScheme)
}

// openedSinks returns, and forgets, the sinks opened for host.
func openedSinks(host string) []*testSink {
	sinksMu.Lock()
	defer sinksMu.Unlock()
	ts := sinks[host]
	delete(sinks, host)
	return ts
}

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

func TestRegisterSchemeOpenErrorCarriesURL(t *testing.T) {
	registerTestScheme(t)
	const u = "sinktest://refused/some/path?fail=1"
	sink, closeSink, err := zap.Open(u)
	if err == nil {
		closeSink()
		require.Fail(t, "zap.Open succeeded", "sink %v", sink)
	}
	assert.ErrorIs(t, err, errOpenRefused, "the open function's error is wrapped")
	assert.Contains(t, err.Error(), u, "the error carries the URL")
}

func TestRegisterSchemeErrors(t *testing.T) {
	registerTestScheme(t)
	for _, tt := range []struct {
		name string
		give string
		want string
	}{
		{"taken", testScheme, "already registered"},
		{"taken in another case", "SinkTest", "already registered"},
		{"taken by zap", "file", "already registered"},
		{"empty", "", "empty"},
		{"starts with a digit", "1sink", "not a valid scheme"},
		{"space", "my sink", "not a valid scheme"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = logsink.RegisterScheme(tt.give, openTestSink) }, "RegisterScheme(%q)", tt.give)
			require.Error(t, err, "RegisterScheme(%q)", tt.give)
			assert.Contains(t, err.Error(), tt.want, "RegisterScheme(%q)", tt.give)
		})
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
