package rotate_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/streamsink/streamsink/rotate"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// millRun is the goroutine that removes and compresses a File's backups.
const millRun = "github.com/streamsink/streamsink/rotate.(*mill).run"

// millGoroutines counts the goroutines running a File's backup retention.
func millGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if strings.Contains(string(g), "\n"+millRun+"(") {
			count++
		}
	}
	return count
}

func TestOneMillGoroutinePerPathWhateverTheSettings(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	settings := []rotate.Config{
		{Compress: true, MaxAge: 24 * time.Hour, MaxBackups: 3},
		{MaxBackups: 2},
		{Compress: true},
		{MaxAge: 48 * time.Hour},
		{MaxTotalSize: 200 << 20, Compress: true},
		{}, // no retention: no goroutine at all
	}
	for i := range 25 {
		before := goleak.IgnoreCurrent()
		cfg := settings[i%len(settings)]
		cfg.Filename = logPath(dir)
		s, err := rotate.Open(cfg)
		require.NoError(t, err, "open %d", i)
		writeLines(t, s, numbered("round", 10))
		require.NoError(t, s.Rotate(), "rotate %d", i)

		want := 1
		if i%len(settings) == len(settings)-1 {
			want = 0
		}
		assert.Equal(t, want, millGoroutines(), "mill goroutines while the path is open, round %d", i)
		require.NoError(t, s.Close(), "close %d", i)
		// goleak retries while a goroutine that has closed its done
		// channel finishes returning.
		assert.NoError(t, goleak.Find(before), "goroutines left by round %d", i)
	}
}

func TestCloseFinishesTheCompressionItAskedFor(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	s, err := rotate.Open(rotate.Config{
		Filename: logPath(dir),
		MaxSize:  4 << 10,
		MaxAge:   48 * time.Hour,
		Compress: true,
		Every:    time.Hour,
	})
	require.NoError(t, err, "open")
	writeLines(t, s, numbered("entry with some padding to fill four kilobytes quickly", 200))
	require.NoError(t, s.Rotate(), "rotate")
	require.NoError(t, s.Close(), "close")
	assert.NotZero(t, s.Stats().Rotations, "rotations happened")

	names := logFiles(t, dir)
	assert.True(t, allCompressed(names), "every backup compressed when Close returns: %v", names)
	assert.Greater(t, len(backups(t, dir)), 1, "backups: %v", names)
}
