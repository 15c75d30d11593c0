package logsink_test

import (
	"errors"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// The "sinktest" scheme opens a Stream over a sinktest.Writer. Its URL's
// host names the sink, so a test can find what it opened; its query holds
// logsink.Config settings, plus fail=1 to make the open fail, hold=1 to
// stall the destination, and reopen=1 to give it a Reopen method.
const testScheme = "sinktest"

var (
	registerOnce sync.Once
	registerErr  error

	sinksMu sync.Mutex
	sinks   = map[string][]*testSink{} // by URL host, in opening order
)

type testSink struct {
	w       *sinktest.Writer
	s       *logsink.Stream
	reopens atomic.Int32 // Reopen calls, with reopen=1
}

// reopener is a sinktest.Writer with a Reopen method that counts.
type reopener struct {
	*sinktest.Writer
	ts *testSink
}

func (r reopener) Reopen() error {
	r.ts.reopens.Add(1)
	return nil
}

var errOpenRefused = errors.New("open refused")

func openTestSink(u *url.URL) (*logsink.Stream, error) {
	q := u.Query()
	if q.Get("fail") != "" {
		return nil, errOpenRefused
	}
	var cfg logsink.Config
	if err := confkit.Query(&cfg, q, "hold", "reopen"); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ts := &testSink{w: sinktest.NewWriter()}
	if q.Get("hold") != "" {
		ts.w.Hold() // the destination stalls until the test releases it
	}
	var dst io.Writer = ts.w
	if q.Get("reopen") != "" {
		dst = reopener{ts.w, ts}
	}
	ts.s = logsink.New(dst, cfg.Options()...)
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

func TestOpenURL(t *testing.T) {
	registerTestScheme(t)
	s, err := logsink.OpenURL("sinktest://openurl?high_water_mark=2KiB&policy=drop")
	require.NoError(t, err, "OpenURL")
	opened := openedSinks("openurl")
	require.Len(t, opened, 1, "one stream opened")
	assert.Same(t, opened[0].s, s, "the scheme's stream")
	assert.Equal(t, 2<<10, s.HighWaterMark(), "the query configures the stream")
	_, err = s.Write([]byte("entry\n"))
	require.NoError(t, err, "Write")
	require.NoError(t, s.Close(), "the caller closes the stream")
	assert.Equal(t, "entry\n", opened[0].w.String(), "written")
}

func TestOpenURLErrors(t *testing.T) {
	registerTestScheme(t)
	for _, tt := range []struct {
		name string
		give string
		want []string
	}{
		{"unregistered scheme", "nosuch:///x.log", []string{`"nosuch:///x.log"`, `no stream scheme "nosuch" registered`, "sinktest:"}},
		{"plain path", "/var/log/app.log", []string{`no stream scheme "" registered`}},
		{"zap's own scheme", "file:///var/log/app.log", []string{`no stream scheme "file" registered`}},
		{"unparsable", "sinktest://x/%zz", []string{`"sinktest://x/%zz"`, "invalid URL escape"}},
		{"the scheme's error", "sinktest://refused?fail=1", []string{`logsink: open "sinktest://refused?fail=1"`, errOpenRefused.Error()}},
		{"a bad value", "sinktest://badvalue?buffer_size=2GiB", []string{`"sinktest://badvalue?buffer_size=2GiB"`, "buffer_size=2GiB", "maximum, 1GiB"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := logsink.OpenURL(tt.give)
			require.Error(t, err, "OpenURL(%q)", tt.give)
			assert.Nil(t, s, "no stream")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "OpenURL(%q)", tt.give)
			}
		})
	}
	assert.Empty(t, openedSinks("badvalue"), "nothing opened for a bad value")
}

func TestOpenURLSchemeIsCaseInsensitive(t *testing.T) {
	registerTestScheme(t)
	s, err := logsink.OpenURL("SinkTest://case")
	require.NoError(t, err, "OpenURL")
	require.NoError(t, s.Close(), "Close")
	assert.Len(t, openedSinks("case"), 1, "opened through the sinktest scheme")
}
