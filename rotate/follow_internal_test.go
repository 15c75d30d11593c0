package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFollowWaitsForAWholeEntry(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	f, err := NewFile(Config{Filename: path})
	require.NoError(t, err, "NewFile")
	defer f.Close()
	require.NoError(t, os.Remove(path), "rm")

	f.mu.Lock()
	f.torn = true // as after a short write: the file ends inside an entry
	f.mu.Unlock()
	reopened, err := f.Follow()
	require.NoError(t, err, "follow")
	assert.False(t, reopened, "no switch while the file ends inside an entry")
	assert.NoFileExists(t, path, "nothing made at the path yet")

	_, err = f.Write([]byte("rest of the entry\n"))
	require.NoError(t, err, "write")
	reopened, err = f.Follow()
	assert.ErrorContains(t, err, "was deleted: up to 18 bytes", "what went into the deleted file is reported")
	assert.True(t, reopened, "a switch once the entry is whole")
	assert.FileExists(t, path, "the new file")
	assert.Equal(t, uint64(18), f.Stats().UnlinkedBytes, "and counted")
}

func TestFollowReportsRetentionErrors(t *testing.T) {
	f, err := NewFile(Config{Filename: filepath.Join(t.TempDir(), "app.log")})
	require.NoError(t, err, "NewFile")
	defer f.Close()
	failure := errors.New("remove backup: injected")
	f.mu.Lock()
	f.tidyErr = failure
	f.mu.Unlock()

	_, err = f.Follow()
	assert.ErrorIs(t, err, failure, "the next Follow reports the retention's error")
	_, err = f.Follow()
	assert.NoError(t, err, "once")
}
