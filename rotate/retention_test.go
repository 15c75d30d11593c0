package rotate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/rotate"
)

// makeBackup writes a backup of app.log in dir for time t, of size bytes.
func makeBackup(t *testing.T, dir string, when time.Time, suffix string, size int) string {
	t.Helper()
	name := "app-" + when.UTC().Format("2006-01-02T15-04-05.000") + ".log" + suffix
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("b", size)), 0o640), "backup %s", name)
	return name
}

// diskUse sums the sizes of the files in dir.
func diskUse(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	for _, n := range logFiles(t, dir) {
		info, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err, "stat %s", n)
		total += info.Size()
	}
	return total
}

func TestMaxTotalSizeAtOpen(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-time.Hour)
	var names []string
	for i := range 5 {
		suffix := ""
		if i%2 == 0 {
			suffix = ".gz" // compressed or not, a backup counts by its bytes on disk
		}
		names = append(names, makeBackup(t, dir, start.Add(time.Duration(i)*time.Minute), suffix, 5000))
	}
	require.NoError(t, os.WriteFile(logPath(dir), []byte(strings.Repeat("a", 2500)), 0o640), "the file")

	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxSize: 5000, MaxTotalSize: 15000})
	require.NoError(t, f.Close(), "close: the retention is done")

	assert.Equal(t, append(names[3:], "app.log"), logFiles(t, dir),
		"the two newest backups and the file, counted at max_size, fit in 15000 bytes; the older ones are removed")
	assert.LessOrEqual(t, diskUse(t, dir), int64(15000), "disk use")
}

func TestMaxTotalSizeAfterRotations(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxSize: 4 << 10, MaxTotalSize: 12 << 10})
	for i := range 10 {
		_, err := fmt.Fprintf(f, "generation %d %s\n", i, strings.Repeat("x", 4000))
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate %d", i)
	}
	_, err := f.Write([]byte(strings.Repeat("y", 4000) + "\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Close(), "close: the retention is done")

	b := backups(t, dir)
	require.Len(t, b, 2, "backups: two of about 4000 bytes fit beside the file, counted at max_size 4KiB, in 12KiB")
	for i, name := range b {
		assert.True(t, strings.HasPrefix(read(t, filepath.Join(dir, name)), fmt.Sprintf("generation %d ", 8+i)),
			"the newest backups are kept: %s", name)
	}
	assert.LessOrEqual(t, diskUse(t, dir), int64(12<<10), "disk use")
}

func TestMaxTotalSizeNeverRemovesTheFile(t *testing.T) {
	dir := t.TempDir()
	makeBackup(t, dir, time.Now().Add(-time.Hour), "", 10)
	require.NoError(t, os.WriteFile(logPath(dir), []byte(strings.Repeat("a", 8000)), 0o640), "the file")
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxSize: 5000, MaxTotalSize: 5000})
	require.NoError(t, f.Close(), "close")
	assert.Equal(t, []string{"app.log"}, logFiles(t, dir), "every backup removed, the file kept though it alone passes the cap")
}

func TestMaxTotalSizeCountsCompressedBackups(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxSize: 4 << 10, MaxTotalSize: 16 << 10, Compress: true})
	for i := range 10 {
		_, err := fmt.Fprintf(f, "generation %d %s\n", i, strings.Repeat("compressible ", 300)) // about 4KiB
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate %d", i)
		// One backup at a time, so each counts compressed by the next pass.
		waitMill(t, dir, allCompressed, "compressed every backup")
	}
	require.NoError(t, f.Close(), "close")
	b := backups(t, dir)
	assert.Len(t, b, 10, "ten compressed backups fit beside the 4KiB file in 16KiB, where three uncompressed would: %v", b)
	assert.LessOrEqual(t, diskUse(t, dir), int64(16<<10), "disk use")
}

func TestRetentionLimitsAllApply(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	stale := makeBackup(t, dir, now.Add(-72*time.Hour), ".gz", 10) // past max_age
	var recent []string
	for i := range 5 {
		recent = append(recent, makeBackup(t, dir, now.Add(-time.Hour+time.Duration(i)*time.Minute), "", 5000))
	}
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxBackups: 4, MaxAge: 48 * time.Hour, MaxSize: 5000, MaxTotalSize: 15000})
	require.NoError(t, f.Close(), "close")
	names := logFiles(t, dir)
	assert.NotContains(t, names, stale, "max_age removed the stale backup")
	assert.NotContains(t, names, recent[0], "max_backups removed the fifth newest")
	assert.Equal(t, append(recent[3:], "app.log"), names, "max_total_size kept what fits in 15000 bytes beside the file at max_size")
}

func TestBackupDirectoryCleanedByAnotherTool(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxBackups: 3, Compress: true})
	for i := range 3 {
		_, err := fmt.Fprintf(f, "generation %d\n", i)
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate")
	}
	waitMill(t, dir, func(n []string) bool { return len(n) == 4 && allCompressed(n) }, "compressed three backups")
	for _, b := range backups(t, dir) { // a cron job's cleanup
		require.NoError(t, os.Remove(filepath.Join(dir, b)), "rm %s", b)
	}
	_, err := f.Write([]byte("after the cleanup\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Rotate(), "rotate")
	reopened, err := f.Follow()
	require.NoError(t, err, "no error reported for the removed backups")
	assert.False(t, reopened, "the file was not touched")
	require.NoError(t, f.Close(), "close")
	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	assert.Equal(t, "after the cleanup\n", read(t, filepath.Join(dir, b[0])), "the new backup")
}
