package rotate

// lumberjack v2.2.1's tests of its backup listing (TestOldLogFiles,
// TestTimeFromName), ported to listBackups. rotate lists oldest first;
// lumberjack newest first.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLumberjackOldLogFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "foobar.log")
	require.NoError(t, os.WriteFile(name, []byte("data"), 0o600), "the file")
	t1 := time.Date(2024, 5, 1, 10, 20, 30, 123e6, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	for _, at := range []time.Time{t1, t2} {
		require.NoError(t, os.WriteFile(backupName(name, at), []byte("data"), 0o600), "backup")
	}
	bs, err := listBackups(name, time.UTC)
	require.NoError(t, err, "list")
	require.Len(t, bs, 2, "backups")
	assert.True(t, bs[0].t.Equal(t1) && bs[1].t.Equal(t2), "oldest first, times from the names: %v, %v", bs[0].t, bs[1].t)
}

func TestLumberjackTimeFromName(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{
		"foo-2014-05-04T14-44-33.555.log", // the only backup name
		"foo-2014-05-04T14-44-33.555",
		"2014-05-04T14-44-33.555.log",
		"foo.log",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o600), "file %s", n)
	}
	bs, err := listBackups(filepath.Join(dir, "foo.log"), time.UTC)
	require.NoError(t, err, "list")
	require.Len(t, bs, 1, "one backup name among them")
	assert.Equal(t, filepath.Join(dir, "foo-2014-05-04T14-44-33.555.log"), bs[0].name, "name")
	assert.True(t, bs[0].t.Equal(time.Date(2014, 5, 4, 14, 44, 33, 555e6, time.UTC)), "time %v", bs[0].t)
}
