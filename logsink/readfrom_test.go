package logsink_test

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// lineReader yields one line of n bytes without a newline, then EOF, without
// holding it in memory.
type lineReader struct{ n int }

func (r *lineReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

// countingWriter counts what it is given and the largest Write.
type countingWriter struct {
	bytes, writes, largest int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += len(p)
	w.writes++
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

// Piping a 256 MiB line without a newline used to gather the whole line
// before writing it (about 1.7 GB allocated). ReadFrom now holds at most
// one buffer's worth of a line.
func TestReadFromHoldsOneBufferOfALongLine(t *testing.T) {
	const lineSize = 64 << 20
	const bufSize = 64 << 10
	w := &countingWriter{}
	s := logsink.New(w, logsink.WithBufferSize(bufSize))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := s.ReadFrom(&lineReader{n: lineSize})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	assert.Equal(t, int64(lineSize), n, "bytes read")
	assert.Equal(t, lineSize, w.bytes, "under Block no byte is lost")
	assert.Equal(t, uint64(lineSize/bufSize), s.Stats().Entries, "the line is written as entries of the buffer size")
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(4*bufSize+(1<<20)),
		"ReadFrom allocated %d bytes for a %d-byte line with a %d-byte buffer", allocated, lineSize, bufSize)
}

// Under Drop each piece of a long line is kept or dropped whole.
func TestReadFromLongLineUnderDrop(t *testing.T) {
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithBufferSize(100), logsink.WithPolicy(logsink.Drop))
	w.Hold()
	line := strings.Repeat("a", 100) + strings.Repeat("b", 100) + strings.Repeat("c", 50) + "\n"
	_, err := s.ReadFrom(strings.NewReader(line))
	require.NoError(t, err)
	w.Release()
	require.NoError(t, s.Close())
	st := s.Stats()
	assert.Equal(t, uint64(3), st.Entries+st.Dropped, "three pieces, each counted")
	for _, piece := range []string{strings.Repeat("a", 100), strings.Repeat("b", 100), strings.Repeat("c", 50) + "\n"} {
		got := strings.Count(w.String(), piece)
		assert.LessOrEqual(t, got, 1, "piece %.5q… at most once", piece)
	}
	assert.Equal(t, st.Bytes, uint64(len(w.String())), "only whole pieces are written")
}
