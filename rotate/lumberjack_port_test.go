package rotate_test

// lumberjack v2.2.1's own tests (lumberjack_test.go, linux_test.go and its
// example), ported to rotate through FromLumberjack: each TestLumberjack*
// test below is the lumberjack test of the same name, doing what it does
// in lumberjack's units. lumberjack's tests shrink its megabyte to one byte
// and fake its clock; here a stream on a MockClock names the backups, and
// each byte of lumberjack's test data becomes 100 KiB, so that MaxSize 10
// (ten bytes there) is MaxSize 1 (1 MiB, about ten of them) here. Where
// rotate differs on purpose, the test asserts rotate's behaviour and says
// so; docs/rotate.md lists the differences.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// ljScale is how many bytes one byte of lumberjack's test data becomes.
const ljScale = 100 << 10

// ljData scales a string of lumberjack's tests: each byte becomes
// ljScale bytes.
func ljData(s string) []byte { return bytes.Repeat([]byte(s), ljScale) }

// ljClock is lumberjack's fake time: it moves only when a test says.
func ljClock() *sinktest.MockClock {
	return sinktest.NewMockClock(time.Date(2024, 5, 1, 10, 20, 30, 123e6, time.UTC))
}

// twoDaysLater is lumberjack's newFakeTime.
func twoDaysLater(c *sinktest.MockClock) { c.Add(48 * time.Hour) }

// ljOpen opens l through the bridge on clock; the stream is closed when the
// test ends, if the test has not closed it.
func ljOpen(t *testing.T, l *lumberjack.Logger, clock *sinktest.MockClock) *logsink.Stream {
	t.Helper()
	s, err := rotate.Open(rotate.FromLumberjack(l), logsink.WithClock(clock))
	require.NoError(t, err, "open")
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ljWrite writes b as one entry and flushes it, as lumberjack's Write
// returns once the bytes are in the file.
func ljWrite(t *testing.T, s *logsink.Stream, b []byte) {
	t.Helper()
	n, err := s.Write(b)
	require.NoError(t, err, "write")
	require.Equal(t, len(b), n, "write count")
	require.NoError(t, s.Flush(), "flush")
}

func ljLogFile(dir string) string { return filepath.Join(dir, "foobar.log") }

// ljBackupFile is the backup name for the clock's time now, in UTC.
func ljBackupFile(dir string, c *sinktest.MockClock) string {
	return filepath.Join(dir, "foobar-"+c.Now().UTC().Format("2006-01-02T15-04-05.000")+".log")
}

func ljBackupFileLocal(dir string, c *sinktest.MockClock) string {
	return filepath.Join(dir, "foobar-"+c.Now().Local().Format("2006-01-02T15-04-05.000")+".log")
}

func existsWithContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err, "read %s", path)
	require.True(t, bytes.Equal(want, got), "%s holds %d bytes (%.20q...), want %d (%.20q...)", path, len(got), got, len(want), want)
}

func fileCount(t *testing.T, dir string, want int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "read %s", dir)
	require.Len(t, entries, want, "entries in %s", dir)
}

// waitFileCount waits for the background retention to leave want entries
// in dir (lumberjack's tests sleep 10ms for its mill goroutine).
func waitFileCount(t *testing.T, dir string, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		entries, err := os.ReadDir(dir)
		return err == nil && len(entries) == want
	}, 20*time.Second, time.Millisecond, "the retention never left %d entries in %s", want, dir)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err, "gzip")
	require.NoError(t, zw.Close(), "gzip")
	return buf.Bytes()
}

func TestLumberjackNewFile(t *testing.T) {
	dir := t.TempDir()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir)}, ljClock())
	ljWrite(t, s, []byte("boo!"))
	existsWithContent(t, ljLogFile(dir), []byte("boo!"))
	fileCount(t, dir, 1)
}

// Differs on purpose: an existing file that does not end a line gets a
// newline before the first entry, so that a fragment a crash left never
// joins it (lumberjack appends right after "foo!").
func TestLumberjackOpenExisting(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(ljLogFile(dir), []byte("foo!"), 0o644), "existing file")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir)}, ljClock())
	ljWrite(t, s, []byte("boo!"))
	existsWithContent(t, ljLogFile(dir), []byte("foo!\nboo!"))
	fileCount(t, dir, 1)
}

// Differs on purpose: an entry larger than MaxSize is written whole, into a
// file of its own, where lumberjack refuses it ("write length exceeds
// maximum file size") and the entry is lost.
func TestLumberjackWriteTooLong(t *testing.T) {
	dir := t.TempDir()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1}, ljClock())
	b := ljData("booooooooooooooo!") // 1.7 MiB
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)
}

func TestLumberjackMakeLogDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "TestMakeLogDir")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir)}, ljClock())
	ljWrite(t, s, []byte("boo!"))
	existsWithContent(t, ljLogFile(dir), []byte("boo!"))
	fileCount(t, dir, 1)
}

func TestLumberjackDefaultFilename(t *testing.T) {
	filename := filepath.Join(os.TempDir(), filepath.Base(os.Args[0])+"-lumberjack.log")
	require.NoFileExists(t, filename, "a file left by an earlier run")
	t.Cleanup(func() { _ = os.Remove(filename) })
	s := ljOpen(t, &lumberjack.Logger{}, ljClock())
	ljWrite(t, s, []byte("boo!"))
	require.NoError(t, s.Close(), "close")
	existsWithContent(t, filename, []byte("boo!"))
}

func TestLumberjackAutoRotate(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1}, clock)
	b := ljData("boo!")
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)

	twoDaysLater(clock)
	b2 := ljData("foooooo!")
	ljWrite(t, s, b2)
	existsWithContent(t, ljLogFile(dir), b2)
	existsWithContent(t, ljBackupFile(dir, clock), b) // named for the time of the rotation
	fileCount(t, dir, 2)
}

func TestLumberjackFirstWriteRotate(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	start := ljData("boooooo!")
	require.NoError(t, os.WriteFile(ljLogFile(dir), start, 0o600), "existing file")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1}, clock)

	twoDaysLater(clock)
	b := ljData("fooo!")
	ljWrite(t, s, b) // would take the file past MaxSize: rotates first
	existsWithContent(t, ljLogFile(dir), b)
	existsWithContent(t, ljBackupFile(dir, clock), start)
	fileCount(t, dir, 2)
}

// Differs on purpose at the end: a backup name taken (here by a stray .gz)
// moves the new backup on by a millisecond instead of sharing it, so the
// stray .gz is a backup of its own, older, which MaxBackups removes.
// lumberjack keeps it beside the new backup, as one backup in two files.
func TestLumberjackMaxBackups(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, MaxBackups: 1}, clock)
	b := ljData("boo!")
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)

	twoDaysLater(clock)
	b2 := ljData("foooooo!")
	ljWrite(t, s, b2) // past the max: rotates
	second := ljBackupFile(dir, clock)
	existsWithContent(t, second, b)
	existsWithContent(t, ljLogFile(dir), b2)
	fileCount(t, dir, 2)

	twoDaysLater(clock)
	b3 := ljData("baaaaaar!")
	ljWrite(t, s, b3) // rotates again
	third := ljBackupFile(dir, clock)
	existsWithContent(t, third, b2)
	existsWithContent(t, ljLogFile(dir), b3)
	waitFileCount(t, dir, 2)
	existsWithContent(t, third, b2)
	assert.NoFileExists(t, second, "the first backup is removed")

	// Files that are not backups stay: a name close to the file's, and a
	// directory with a backup's name.
	twoDaysLater(clock)
	notLogFile := ljLogFile(dir) + ".foo"
	require.NoError(t, os.WriteFile(notLogFile, []byte("data"), 0o644), "not a log file")
	notLogFileDir := ljBackupFile(dir, clock)
	require.NoError(t, os.Mkdir(notLogFileDir, 0o700), "a directory named as a backup")

	twoDaysLater(clock)
	fourth := ljBackupFile(dir, clock)
	require.NoError(t, os.WriteFile(fourth+".gz", []byte("compress"), 0o644), "a stray compressed backup at the next name")
	b4 := ljData("baaaaaaz!")
	ljWrite(t, s, b4) // rotates again
	movedOn := ljBackupFile(dir, clock)
	movedOn = movedOn[:len(movedOn)-len("123.log")] + "124.log" // one millisecond later
	existsWithContent(t, movedOn, b3)
	existsWithContent(t, ljLogFile(dir), b4)
	waitFileCount(t, dir, 4) // the file, the backup, the .foo, the directory
	assert.NoFileExists(t, third, "the older backup is removed")
	assert.NoFileExists(t, fourth+".gz", "so is the stray .gz, an older backup by its name (lumberjack keeps it)")
	assert.FileExists(t, notLogFile, "not a log file: kept")
	assert.DirExists(t, notLogFileDir, "a directory: kept")
}

func TestLumberjackCleanupExistingBackups(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	data := ljData("data")
	require.NoError(t, os.WriteFile(ljBackupFile(dir, clock), data, 0o644), "backup 1")
	twoDaysLater(clock)
	require.NoError(t, os.WriteFile(ljBackupFile(dir, clock)+".gz", data, 0o644), "backup 2, compressed")
	twoDaysLater(clock)
	require.NoError(t, os.WriteFile(ljBackupFile(dir, clock), data, 0o644), "backup 3")
	require.NoError(t, os.WriteFile(ljLogFile(dir), data, 0o644), "the file")

	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, MaxBackups: 1}, clock)
	twoDaysLater(clock)
	ljWrite(t, s, ljData("foooooo!"))
	waitFileCount(t, dir, 2) // the file and one backup
}

func TestLumberjackMaxAge(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, MaxAge: 1}, clock)
	b := ljData("boo!")
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)

	twoDaysLater(clock)
	b2 := ljData("foooooo!")
	ljWrite(t, s, b2)
	first := ljBackupFile(dir, clock)
	existsWithContent(t, first, b)
	require.NoError(t, s.Flush(), "flush")
	fileCount(t, dir, 2) // the backup was just made: not too old
	existsWithContent(t, ljLogFile(dir), b2)

	twoDaysLater(clock)
	b3 := ljData("baaaaar!")
	ljWrite(t, s, b3)
	existsWithContent(t, ljBackupFile(dir, clock), b2)
	waitFileCount(t, dir, 2) // the file and the newest backup; the older is past a day
	existsWithContent(t, ljLogFile(dir), b3)
	assert.NoFileExists(t, first, "the backup older than max_age")
}

func TestLumberjackLocalTime(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, LocalTime: true}, clock)
	b := ljData("boo!")
	ljWrite(t, s, b)
	b2 := ljData("fooooooo!")
	ljWrite(t, s, b2)
	existsWithContent(t, ljLogFile(dir), b2)
	existsWithContent(t, ljBackupFileLocal(dir, clock), b)
}

func TestLumberjackRotate(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxBackups: 1, MaxSize: 100}, clock)
	b := []byte("boo!")
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)

	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	second := ljBackupFile(dir, clock)
	waitFileCount(t, dir, 2)
	existsWithContent(t, second, b)
	existsWithContent(t, ljLogFile(dir), nil)

	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate an empty file")
	third := ljBackupFile(dir, clock)
	existsWithContent(t, third, nil)
	waitFileCount(t, dir, 2)
	existsWithContent(t, ljLogFile(dir), nil)

	b2 := []byte("foooooo!")
	ljWrite(t, s, b2)
	existsWithContent(t, ljLogFile(dir), b2)
}

func TestLumberjackCompressOnRotate(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, Compress: true}, clock)
	b := []byte("boo!")
	ljWrite(t, s, b)
	existsWithContent(t, ljLogFile(dir), b)
	fileCount(t, dir, 1)

	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	existsWithContent(t, ljLogFile(dir), nil)
	backup := ljBackupFile(dir, clock)
	require.Eventually(t, func() bool { _, err := os.Stat(backup); return os.IsNotExist(err) }, 20*time.Second, time.Millisecond,
		"the backup is compressed and removed")
	existsWithContent(t, backup+".gz", gzipped(t, b)) // byte for byte what lumberjack writes
	fileCount(t, dir, 2)
}

func TestLumberjackCompressOnResume(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	backup := ljBackupFile(dir, clock)
	b := []byte("foo!")
	require.NoError(t, os.WriteFile(backup, b, 0o644), "a backup")
	require.NoError(t, os.WriteFile(backup+".gz", nil, 0o644), "its compression, cut short")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxSize: 1, Compress: true}, clock)

	twoDaysLater(clock)
	b2 := []byte("boo!")
	ljWrite(t, s, b2)
	existsWithContent(t, ljLogFile(dir), b2)
	require.Eventually(t, func() bool { _, err := os.Stat(backup); return os.IsNotExist(err) }, 20*time.Second, time.Millisecond,
		"the backup is compressed again and removed")
	existsWithContent(t, backup+".gz", gzipped(t, b))
	fileCount(t, dir, 2)
}

func TestLumberjackJson(t *testing.T) {
	var l lumberjack.Logger
	require.NoError(t, json.Unmarshal([]byte(`{
		"filename": "foo",
		"maxsize": 5,
		"maxage": 10,
		"maxbackups": 3,
		"localtime": true,
		"compress": true
	}`), &l), "unmarshal lumberjack's JSON")
	assert.Equal(t, rotate.Config{Filename: "foo", MaxSize: 5 << 20, MaxAge: 10 * 24 * time.Hour, MaxBackups: 3,
		LocalTime: true, Compress: true, Mode: 0o600}, rotate.FromLumberjack(&l), "in rotate's units")
}

// Differs on purpose: Write after Close is ErrClosed; lumberjack opens the
// file again.
func TestLumberjackWriteAfterClose(t *testing.T) {
	dir := t.TempDir()
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir)}, ljClock())
	ljWrite(t, s, []byte("boo!"))
	require.NoError(t, s.Close(), "close")
	_, err := s.Write([]byte("foo!"))
	assert.ErrorIs(t, err, logsink.ErrClosed, "write after close")
	existsWithContent(t, ljLogFile(dir), []byte("boo!"))
}

// Differs on purpose: a second writer on the same path in one process is
// refused (ErrInUse); two lumberjack.Loggers rename the file under each
// other.
func TestLumberjackSecondLoggerOnThePath(t *testing.T) {
	dir := t.TempDir()
	ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir)}, ljClock())
	_, err := rotate.Open(rotate.FromLumberjack(&lumberjack.Logger{Filename: ljLogFile(dir)}))
	assert.ErrorIs(t, err, rotate.ErrInUse, "a second stream on the path")
}
