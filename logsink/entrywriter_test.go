package logsink_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
)

// framer records each entry it is given as one message. While fail is set
// it takes only the first entry of a call, then fails.
type framer struct {
	msgs []string
	fail bool
}

func (f *framer) Write(p []byte) (int, error) {
	panic("an EntryWriter is written through WriteEntries")
}

func (f *framer) WriteEntries(p []byte, ends []int) (int, error) {
	start := 0
	for _, e := range ends {
		f.msgs = append(f.msgs, string(p[start:e]))
		start = e
		if f.fail {
			return e, syscall.ECONNRESET
		}
	}
	return start, nil
}

var _ logsink.EntryWriter = (*framer)(nil)

func TestEntryWriterGetsExactEntries(t *testing.T) {
	f := &framer{}
	s := logsink.New(f)
	for _, p := range []string{"no newline", "two\nlines\n", "", "last\n"} {
		_, err := s.Write([]byte(p))
		require.NoError(t, err)
	}
	require.NoError(t, s.Flush())

	f.fail = true
	for _, p := range []string{"a", "b", "c"} {
		_, err := s.Write([]byte(p))
		require.NoError(t, err)
	}
	assert.ErrorIs(t, s.Flush(), syscall.ECONNRESET, "the failed write")
	f.fail = false
	require.NoError(t, s.Flush(), "the retry")
	require.NoError(t, s.Close())
	assert.Equal(t, []string{"no newline", "two\nlines\n", "last\n", "a", "b", "c"}, f.msgs,
		"one call of Write is one entry, whatever its bytes (an empty Write is none); the rest after a failure keeps its boundaries")
}
