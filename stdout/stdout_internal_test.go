package stdout

import (
	"io"
	"os"
	"path/filepath"
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
			s := NewFileStream(w, append([]logsink.Option{logsink.WithClock(clock)}, tt.give...)...)
			assert.Equal(t, tt.want, <-clock.periods, "the flusher's first ticker is the flush interval")
			assert.NoError(t, s.Close(), "Close")
		})
	}
}
