package stdout

import (
	"io"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
)

func TestFileSyncRegularFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out.log"))
	require.NoError(t, err, "create")
	d := file{f: f}
	_, err = d.Write([]byte("x\n"))
	require.NoError(t, err, "write")
	assert.NoError(t, d.Sync(), "Sync on a regular file")

	require.NoError(t, f.Close(), "close")
	err = d.Sync()
	assert.ErrorIs(t, err, os.ErrClosed, "Sync on a closed file reports the real error")
}

func TestFileHasNoClose(t *testing.T) {
	_, ok := any(file{}).(io.Closer)
	assert.False(t, ok, "the destination must not be an io.Closer, so Stream.Close never closes fd 1 or 2")
}

func TestCannotSync(t *testing.T) {
	tests := []struct {
		give error
		want bool
	}{
		{give: &os.PathError{Op: "sync", Path: "|1", Err: syscall.EINVAL}, want: true},
		{give: &os.PathError{Op: "sync", Path: "x", Err: syscall.ENOTSUP}, want: true},
		{give: &os.PathError{Op: "sync", Path: "x", Err: syscall.ENOTTY}, want: true},
		{give: &os.PathError{Op: "sync", Path: "x", Err: syscall.EIO}, want: false},
		{give: os.ErrClosed, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.give.Error(), func(t *testing.T) {
			assert.Equal(t, tt.want, cannotSync(tt.give), "cannotSync(%v)", tt.give)
		})
	}
}

// tickerClock records the period of every ticker made, so a test can see
// the flush interval a stream was given.
type tickerClock struct {
	periods chan time.Duration
}

func (c tickerClock) Now() time.Time { return time.Unix(0, 0) }

func (c tickerClock) NewTicker(d time.Duration) *time.Ticker {
	c.periods <- d
	return &time.Ticker{C: make(chan time.Time)} // never fires
}

func TestFlushIntervalDefault(t *testing.T) {
	tests := []struct {
		desc string
		give []logsink.Option
		want time.Duration
	}{
		{desc: "default", want: DefaultFlushInterval},
		{desc: "caller wins", give: []logsink.Option{logsink.WithFlushInterval(time.Second)}, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err, "os.Pipe")
			defer r.Close()
			defer w.Close()

			clock := tickerClock{periods: make(chan time.Duration, 8)}
			s := NewFile(w, append([]logsink.Option{logsink.WithClock(clock)}, tt.give...)...)
			assert.Equal(t, tt.want, <-clock.periods, "the flusher's first ticker is the flush interval")
			assert.NoError(t, s.Close(), "Close")
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		give string
		want Config
	}{
		{give: "stream:stdout", want: Config{Target: "stdout"}},
		{give: "stream:stderr", want: Config{Target: "stderr"}},
		{give: "stream:///stdout", want: Config{Target: "stdout"}},
		{give: "stream://stderr", want: Config{Target: "stderr"}},
		{
			give: "stream:stdout?policy=drop&buffer_size=256KiB&flush_interval=50ms",
			want: Config{Target: "stdout", Config: logsink.Config{
				Policy: logsink.Drop, BufferSize: 256 << 10, FlushInterval: 50 * time.Millisecond,
			}},
		},
		{
			give: "stream:stderr?high_water_mark=4KiB&block_timeout=1s&close_timeout=2s&survive_broken_pipe=true",
			want: Config{Target: "stderr", SurviveBrokenPipe: true, Config: logsink.Config{
				HighWaterMark: 4 << 10, BlockTimeout: time.Second, CloseTimeout: 2 * time.Second,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "url.Parse")
			got, err := parseURL(u)
			require.NoError(t, err, "parseURL(%q)", tt.give)
			assert.Equal(t, tt.want, got, "parseURL(%q)", tt.give)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		give string
		want []string // substrings of the error
	}{
		{give: "stream:stdin", want: []string{`target "stdin"`, "unknown target"}},
		{give: "stream:", want: []string{"no target"}},
		{give: "stream:///", want: []string{"no target"}},
		{give: "stream:///dev/stdout", want: []string{`target "dev/stdout"`}},
		{give: "stream:stdout?colour=red", want: []string{`unknown setting "colour"`}},
		{give: "stream:stdout?policy=sometimes", want: []string{"policy", `"sometimes"`}},
		{give: "stream:stdout?buffer_size=banana", want: []string{"buffer_size", `"banana"`}},
		{give: "stream:stdout?flush_interval=-1s", want: []string{"flush_interval", `"-1s"`}},
		{give: "stream:stdout?block_timeout=soon", want: []string{"block_timeout", `"soon"`}},
		{give: "stream:stdout?survive_broken_pipe=maybe", want: []string{"survive_broken_pipe", `"maybe"`}},
		{give: "stream:stdout?policy=drop&policy=block", want: []string{"policy", "2 times"}},
		{give: "stream:stdout?target=stderr", want: []string{`target="stderr"`}},
		{give: "stream:stdout?buffer_size=%zz", want: []string{"query"}},
		{give: "stream://user@stdout", want: []string{"user information"}},
		{give: "stream:stdout#x", want: []string{`fragment "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "url.Parse")
			_, err = parseURL(u)
			require.Error(t, err, "parseURL(%q)", tt.give)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "error for %q names the problem", tt.give)
			}
		})
	}
}

func TestSchemeRegistered(t *testing.T) {
	assert.NoError(t, registerErr, "registering the %q zap sink scheme", Scheme)
}
