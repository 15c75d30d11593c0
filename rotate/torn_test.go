package rotate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// jsonEntry is entry i of generation g (a process), padded to a length
// that no power of two divides, so that a full disk cuts some entry.
func jsonEntry(g, i int) []byte {
	return fmt.Appendf(nil, `{"g":%d,"i":%d,"pad":"%s"}`+"\n", g, i, strings.Repeat("p", 45-len(strconv.Itoa(i))))
}

// entryLine is what jsonEntry holds, decoded.
type entryLine struct {
	G, I int
}

// parseLines decodes every line of the file at path, failing the test for
// a line that is not a whole entry: a fragment, or one joined to the next.
func parseLines(t *testing.T, path string) []entryLine {
	t.Helper()
	data := read(t, path)
	require.True(t, data == "" || strings.HasSuffix(data, "\n"), "the file ends at an entry boundary: ...%q", data[max(0, len(data)-80):])
	var out []entryLine
	for n, line := range lines(t, path) {
		var e entryLine
		require.NoError(t, json.Unmarshal([]byte(line), &e), "line %d is a whole entry: %q", n+1, line)
		out = append(out, e)
	}
	return out
}

// A disk that fills in the middle of a batch, and stays full until Close
// gives up: the fragment of the entry it cut is taken off the file, and the
// next process's entries start on a line of their own.
func TestCloseCutsTheEntryAFullDiskTore(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	f, err := rotate.NewFile(rotate.Config{Filename: path})
	require.NoError(t, err, "NewFile")
	rotate.FailWritesAfter(f, 1000) // inside the 17th entry of 59 bytes
	s, err := logsink.Open(f, logsink.WithCloseTimeout(300*time.Millisecond))
	require.NoError(t, err, "open")
	for i := range 50 {
		_, err := s.Write(jsonEntry(1, i))
		require.NoError(t, err, "write %d", i)
	}
	assert.ErrorContains(t, s.Close(), "not written", "Close gives up on what the full disk refused")

	got := parseLines(t, path)
	require.NotEmpty(t, got, "the entries before the disk filled")
	for n, e := range got {
		assert.Equal(t, entryLine{G: 1, I: n}, e, "entry %d", n)
	}
	st := s.Stats()
	data := read(t, path)
	assert.Equal(t, st.Bytes, uint64(len(data))+st.LostBytes,
		"every accepted byte is in the file or counted in LostBytes (the cut fragment too)")
	assert.NotZero(t, f.Stats().TornBytes, "the fragment is counted as cut")

	// The next process appends to the same file.
	s2, err := rotate.Open(rotate.Config{Filename: path})
	require.NoError(t, err, "open again")
	for i := range 3 {
		_, err := s2.Write(jsonEntry(2, i))
		require.NoError(t, err, "write %d", i)
	}
	require.NoError(t, s2.Close(), "close")
	got = parseLines(t, path)
	assert.Equal(t, []entryLine{{2, 0}, {2, 1}, {2, 2}}, got[len(got)-3:], "the new process's entries, each whole")
}

// While the stream lives, the entry a full disk cut is finished once
// there is room again: nothing is cut, nothing lost.
func TestStreamFinishesATornEntryWhenTheDiskHasRoomAgain(t *testing.T) {
	path := logPath(t.TempDir())
	f, err := rotate.NewFile(rotate.Config{Filename: path})
	require.NoError(t, err, "NewFile")
	rotate.FailWritesAfter(f, 1000)
	s, err := logsink.Open(f, logsink.WithFlushInterval(10*time.Millisecond))
	require.NoError(t, err, "open")
	for i := range 50 {
		_, err := s.Write(jsonEntry(1, i))
		require.NoError(t, err, "write %d", i)
	}
	require.Error(t, s.Flush(), "the disk is full")
	rotate.HealWrites(f)
	require.NoError(t, s.Close(), "close once there is room")
	got := parseLines(t, path)
	require.Len(t, got, 50, "every entry")
	for n, e := range got {
		assert.Equal(t, entryLine{G: 1, I: n}, e, "entry %d", n)
	}
	assert.Zero(t, s.Stats().LostBytes, "nothing lost")
	assert.Zero(t, f.Stats().TornBytes, "nothing cut")
}

// A file found ending inside a line, at open or when Follow or Reopen
// switches to it, gets a newline before the first new entry.
func TestAFileEndingMidLineGetsANewline(t *testing.T) {
	const fragment = `{"g":1,"i":12,"pad":"ppp` // a crash left it
	whole := string(jsonEntry(1, 11))
	tests := []struct {
		name string
		// give puts a file ending mid-line at path, and returns the File
		// that goes on writing there.
		give func(t *testing.T, path string) *rotate.File
	}{
		{name: "at open", give: func(t *testing.T, path string) *rotate.File {
			require.NoError(t, os.WriteFile(path, []byte(whole+fragment), 0o640), "the file a crash left")
			return newFile(t, rotate.Config{Filename: path})
		}},
		{name: "follow", give: func(t *testing.T, path string) *rotate.File {
			f := newFile(t, rotate.Config{Filename: path})
			require.NoError(t, os.Rename(path, path+".1"), "mv")
			require.NoError(t, os.WriteFile(path, []byte(whole+fragment), 0o640), "another file at the path")
			reopened, err := f.Follow()
			require.NoError(t, err, "follow")
			require.True(t, reopened, "follow switched")
			return f
		}},
		{name: "reopen", give: func(t *testing.T, path string) *rotate.File {
			f := newFile(t, rotate.Config{Filename: path})
			require.NoError(t, os.Rename(path, path+".1"), "mv")
			require.NoError(t, os.WriteFile(path, []byte(whole+fragment), 0o640), "another file at the path")
			require.NoError(t, f.Reopen(), "reopen")
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := logPath(t.TempDir())
			f := tt.give(t, path)
			_, err := f.Write(jsonEntry(2, 0))
			require.NoError(t, err, "write")
			require.NoError(t, f.Close(), "close")
			assert.Equal(t, whole+fragment+"\n"+string(jsonEntry(2, 0)), read(t, path),
				"the fragment keeps its own line; the new entry starts on the next")
		})
	}
}

func TestAFileEndingALineGetsNoNewline(t *testing.T) {
	path := logPath(t.TempDir())
	whole := string(jsonEntry(1, 0))
	require.NoError(t, os.WriteFile(path, []byte(whole), 0o640), "existing file")
	f := newFile(t, rotate.Config{Filename: path})
	_, err := f.Write(jsonEntry(2, 0))
	require.NoError(t, err, "write")
	require.NoError(t, f.Close(), "close")
	assert.Equal(t, whole+string(jsonEntry(2, 0)), read(t, path), "appended as it is")
}
