package rotate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// bindFile binds f to a MockClock and a LostBytes counter, as a stream
// would, and returns them.
func bindFile(f *rotate.File) (*sinktest.MockClock, *atomic.Int64) {
	clock := sinktest.NewMockClock(time.Date(2024, 5, 1, 10, 20, 30, 0, time.UTC))
	lost := new(atomic.Int64)
	f.Bind(logsink.Binding{Clock: clock, Lost: func(n int) { lost.Add(int64(n)) }})
	return clock, lost
}

func TestFollowCountsBytesWrittenIntoADeletedFile(t *testing.T) {
	path := logPath(t.TempDir())
	f := newFile(t, rotate.Config{Filename: path})
	_, lost := bindFile(f)
	_, err := f.Write([]byte("before the check\n"))
	require.NoError(t, err, "write")
	_, err = f.Follow()
	require.NoError(t, err, "follow: the file is at its path")

	require.NoError(t, os.Remove(path), "rm")
	_, err = f.Write([]byte("into the deleted file\n")) // 22 bytes
	require.NoError(t, err, "write")
	reopened, err := f.Follow()
	assert.True(t, reopened, "follow switched to a new file")
	assert.ErrorContains(t, err, fmt.Sprintf("%q was deleted: up to 22 bytes", path), "reported with the path")
	assert.Equal(t, int64(22), lost.Load(), "counted in the stream's LostBytes")
	assert.Equal(t, uint64(22), f.Stats().UnlinkedBytes, "and in the File's stats")
}

func TestFollowDoesNotCountARenamedFile(t *testing.T) {
	path := logPath(t.TempDir())
	f := newFile(t, rotate.Config{Filename: path})
	_, lost := bindFile(f)
	require.NoError(t, os.Rename(path, path+".1"), "mv")
	_, err := f.Write([]byte("into the renamed file\n"))
	require.NoError(t, err, "write")
	reopened, err := f.Follow()
	require.NoError(t, err, "follow")
	assert.True(t, reopened, "follow switched")
	assert.Zero(t, lost.Load(), "nothing lost: the entry is in the renamed file")
	assert.Equal(t, "into the renamed file\n", read(t, path+".1"), "renamed file")
}

// A Write checks the path itself when the last check is older than 10ms,
// so a deleted file takes little before the next Follow.
func TestWriteChecksThePath(t *testing.T) {
	path := logPath(t.TempDir())
	f := newFile(t, rotate.Config{Filename: path})
	clock, lost := bindFile(f)
	_, err := f.Write([]byte("first\n"))
	require.NoError(t, err, "write")
	require.NoError(t, os.Remove(path), "rm")

	_, err = f.Write([]byte("within 10ms\n"))
	require.NoError(t, err, "write")
	assert.NoFileExists(t, path, "no check within 10ms of the last")

	clock.Add(10 * time.Millisecond)
	_, err = f.Write([]byte("after 10ms\n"))
	require.NoError(t, err, "write")
	assert.Equal(t, "after 10ms\n", read(t, path), "the Write found the file gone and made a new one")
	assert.Equal(t, int64(len("first\nwithin 10ms\n")), lost.Load(), "what went into the deleted file is counted")

	reopened, err := f.Follow()
	assert.True(t, reopened, "the next Follow reports the switch, for Stats().Reopens")
	assert.ErrorContains(t, err, "was deleted", "and the loss")
}

// rm -rf of the log directory while writers log: every entry accepted
// after the rm that is not in a file is counted in LostBytes.
func TestRemovedDirectoryUnderLoadIsCounted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "app.log")
	s, err := rotate.Open(rotate.Config{Filename: path}, logsink.WithFlushInterval(100*time.Millisecond),
		logsink.WithHighWaterMark(4<<10))
	require.NoError(t, err, "open")

	const total = 20000
	var removedAt atomic.Int64
	removedAt.Store(total)
	for i := range total {
		if i == total/4 {
			require.NoError(t, s.Flush(), "flush before the rm")
			require.NoError(t, os.RemoveAll(dir), "rm -rf")
			removedAt.Store(int64(i))
		}
		_, err := s.Write(fmt.Appendf(nil, "entry %06d\n", i))
		require.NoError(t, err, "write %d", i)
	}
	require.Eventually(t, func() bool { return s.Stats().Reopens > 0 }, 20*time.Second, 5*time.Millisecond,
		"the next Follow reports the switch to a new file")
	require.NoError(t, s.Close(), "close")

	found := make(map[int]bool)
	entryRE := regexp.MustCompile(`^entry (\d{6})$`)
	for _, name := range logFiles(t, dir) {
		for _, line := range lines(t, filepath.Join(dir, name)) {
			m := entryRE.FindStringSubmatch(line)
			require.NotNil(t, m, "a whole entry: %q", line)
			n, _ := strconv.Atoi(m[1])
			found[n] = true
		}
	}
	var missing uint64
	for i := int(removedAt.Load()); i < total; i++ {
		if !found[i] {
			missing += uint64(len(fmt.Sprintf("entry %06d\n", i)))
		}
	}
	st := s.Stats()
	t.Logf("after the rm: %d bytes missing, LostBytes %d, Reopens %d", missing, st.LostBytes, st.Reopens)
	assert.LessOrEqual(t, missing, st.LostBytes, "LostBytes covers every missing entry written after the rm")
	assert.True(t, found[total-1], "the stream made the directory and file again and wrote on")
}
