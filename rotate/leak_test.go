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

// millRun is lumberjack v2.2.1's mill goroutine, which its Close never
// stops; rotate bounds it to one per path. IgnoreAnyFunction, not
// IgnoreTopFunction, because while it compresses a backup millRun is not
// the top frame; created-by lines do not count, so nothing else is ignored.
const millRun = "gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(millRun))
}

// millGoroutines counts the goroutines running lumberjack's mill.
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

func TestMillGoroutinesBoundedPerPath(t *testing.T) {
	dir := t.TempDir()
	cfg := rotate.Config{Filename: logPath(dir), Compress: true, MaxAge: 24 * time.Hour, MaxBackups: 3}
	before := millGoroutines()
	for i := range 25 {
		s, err := rotate.Open(cfg)
		require.NoError(t, err, "open %d", i)
		writeLines(t, s, numbered("round", 10))
		require.NoError(t, s.Rotate(), "rotate %d", i)
		require.NoError(t, s.Close(), "close %d", i)
	}
	assert.Equal(t, 1, millGoroutines()-before, "mill goroutines started for one path opened and closed 25 times")
	waitMill(t, dir, allCompressed, "compressed every backup") // before the directory is removed
}

func TestOpenCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), goleak.IgnoreAnyFunction(millRun))
	dir := t.TempDir()
	s, err := rotate.Open(rotate.Config{
		Filename: logPath(dir),
		MaxSize:  1 << 10,
		MaxAge:   48 * time.Hour,
		Compress: true,
		Every:    time.Hour,
	})
	require.NoError(t, err, "open")
	writeLines(t, s, numbered("entry with some padding to fill a kilobyte quickly", 100))
	require.NoError(t, s.Rotate(), "rotate")
	require.NoError(t, s.Close(), "close")
	assert.NotZero(t, s.Stats().Rotations, "rotations happened")
	waitMill(t, dir, allCompressed, "compressed every backup")
}
