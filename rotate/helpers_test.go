package rotate_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// backupRE matches lumberjack's backup names for app.log, compressed or not.
var backupRE = regexp.MustCompile(`^app-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log(\.gz)?$`)

// logFiles returns the names of the files in dir, sorted: the backups in
// the order they were made (their names sort by time), then app.log.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "read %s", dir)
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// backups returns the backup names in dir, oldest first.
func backups(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range logFiles(t, dir) {
		if backupRE.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

// read returns a file's contents, gunzipped if its name ends in .gz.
func read(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "open %s", path)
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		require.NoError(t, err, "gunzip %s", path)
		r = gz
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err, "read %s", path)
	return string(b)
}

// lines returns a file's lines, without their newlines.
func lines(t *testing.T, path string) []string {
	t.Helper()
	s := read(t, path)
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// numbered returns n lines "prefix 0" ... "prefix n-1".
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + " " + strconv.Itoa(i)
	}
	return out
}

// receive waits for a value from c; the timeout only turns a hang into a
// failure.
func receive[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// waitMill waits until the File's retention goroutine has left dir as want
// says: it runs in the background after each rotation, with no event to
// wait on.
func waitMill(t *testing.T, dir string, want func(names []string) bool, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return want(logFiles(t, dir)) }, 20*time.Second, 5*time.Millisecond,
		"the retention never %s in %s", what, dir)
}

// allCompressed reports whether no uncompressed backup is left, so the mill
// has nothing more to write in the directory.
func allCompressed(names []string) bool {
	for _, n := range names {
		if backupRE.MatchString(n) && !strings.HasSuffix(n, ".gz") {
			return false
		}
	}
	return true
}

// logPath is the log file's path in dir.
func logPath(dir string) string { return filepath.Join(dir, "app.log") }
