package rotate_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// openWithClock opens a stream on a MockClock and waits for its flush
// ticker, so that tick drives every Follow.
func openWithClock(t *testing.T, cfg rotate.Config, opts ...logsink.Option) (*logsink.Stream, *sinktest.MockClock) {
	t.Helper()
	clock := sinktest.NewMockClock(time.Date(2024, 5, 1, 10, 20, 30, 0, time.UTC))
	s, err := rotate.Open(cfg, append(opts, logsink.WithClock(clock))...)
	require.NoError(t, err, "open")
	clock.WaitTickers(1)
	return s, clock
}

// tick moves the clock one flush interval on and waits until the flusher
// has written what was buffered, which it does after Follow. The stream
// must hold entries below its high-water mark, so that only the tick
// flushes them.
func tick(t *testing.T, s *logsink.Stream, clock *sinktest.MockClock) {
	t.Helper()
	require.NotZero(t, s.Buffered(), "tick needs buffered entries to see the flush")
	flushes := s.Stats().Flushes
	clock.Add(logsink.DefaultFlushInterval)
	require.Eventually(t, func() bool { return s.Stats().Flushes > flushes }, 20*time.Second, time.Millisecond,
		"the flush at the tick")
}

func TestStreamFollowsTheFileAtThePath(t *testing.T) {
	tests := []struct {
		name    string
		touch   func(t *testing.T, path string) // what another tool does to the file
		moved   string                          // where the entries written before went, if anywhere
		newMode os.FileMode                     // the mode of the file then at the path
	}{
		{
			name:    "deleted",
			touch:   func(t *testing.T, path string) { require.NoError(t, os.Remove(path), "rm") },
			newMode: os.FileMode(rotate.DefaultMode),
		},
		{
			name:    "renamed",
			touch:   func(t *testing.T, path string) { require.NoError(t, os.Rename(path, path+".1"), "mv") },
			moved:   ".1",
			newMode: os.FileMode(rotate.DefaultMode),
		},
		{
			name: "renamed and created again, as logrotate's create does",
			touch: func(t *testing.T, path string) {
				require.NoError(t, os.Rename(path, path+".1"), "mv")
				require.NoError(t, os.WriteFile(path, nil, 0o600), "create")
				require.NoError(t, os.Chmod(path, 0o600), "chmod")
			},
			moved:   ".1",
			newMode: 0o600,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := logPath(dir)
			s, clock := openWithClock(t, rotate.Config{Filename: path})

			before, buffered, after := numbered("before", 5), numbered("buffered", 5), numbered("after", 5)
			writeLines(t, s, before)
			require.NoError(t, s.Flush(), "flush")
			tt.touch(t, path)
			writeLines(t, s, buffered) // still buffered when the stream notices
			tick(t, s, clock)
			assert.Equal(t, uint64(1), s.Stats().Reopens, "Stats().Reopens")
			assert.Equal(t, buffered, lines(t, path), "what was buffered went to the file at the path")

			writeLines(t, s, after)
			require.NoError(t, s.Close(), "close")
			assert.Equal(t, append(buffered, after...), lines(t, path), "the file at the path")
			if tt.moved != "" {
				assert.Equal(t, before, lines(t, path+tt.moved), "the moved file has the entries written before")
			}
			info, err := os.Stat(path)
			require.NoError(t, err, "stat")
			assert.Equal(t, tt.newMode, info.Mode().Perm(), "mode of the file at the path")
			assert.Zero(t, s.Stats().Rotations, "following is not rotating")
			assert.Empty(t, backups(t, dir), "following renames nothing")
		})
	}
}

func TestStreamFollowOff(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	s, clock := openWithClock(t, rotate.Config{Filename: path, Follow: rotate.Off})
	writeLines(t, s, numbered("before", 5))
	require.NoError(t, s.Flush(), "flush")
	require.NoError(t, os.Rename(path, path+".1"), "mv")
	writeLines(t, s, numbered("after", 5))
	tick(t, s, clock)
	require.NoError(t, s.Close(), "close")

	assert.Zero(t, s.Stats().Reopens, "Stats().Reopens")
	assert.NoFileExists(t, path, "nothing was made at the path")
	assert.Equal(t, append(numbered("before", 5), numbered("after", 5)...), lines(t, path+".1"),
		"everything went to the renamed file")
}

func TestStreamFollowFreesADeletedFile(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	s, clock := openWithClock(t, rotate.Config{Filename: path})
	defer func() { assert.NoError(t, s.Close(), "close") }()
	writeLines(t, s, numbered("lost with the file", 5))
	require.NoError(t, s.Flush(), "flush")
	old, err := os.Open(path)
	require.NoError(t, err, "open a reader on the file")
	defer old.Close()
	require.NoError(t, os.Remove(path), "rm")

	writeLines(t, s, numbered("next", 1))
	tick(t, s, clock)
	// Were the deleted file still open for writing, its size would grow.
	writeLines(t, s, numbered("more", 100))
	require.NoError(t, s.Flush(), "flush")
	data, err := io.ReadAll(old)
	require.NoError(t, err, "read the deleted file")
	assert.Equal(t, len("lost with the file 0\n")*5, len(data), "nothing more went into the deleted file")
}

// TestLogrotateCreateWithoutSignal runs the real logrotate in create mode,
// with no postrotate script to tell the service: following the path is
// what moves the stream to the new file.
func TestLogrotateCreateWithoutSignal(t *testing.T) {
	bin := lookLogrotate(t)
	dir := t.TempDir()
	path := logPath(dir)
	s, clock := openWithClock(t, rotate.Config{Filename: path})

	before, buffered, after := numbered("before", 20), numbered("buffered", 20), numbered("after", 20)
	writeLines(t, s, before)
	require.NoError(t, s.Flush(), "flush")

	conf := filepath.Join(dir, "logrotate.conf")
	require.NoError(t, os.WriteFile(conf, []byte(path+" {\n\tcreate 0600\n\trotate 3\n\tmissingok\n}\n"), 0o644), "write logrotate.conf")
	out, err := exec.Command(bin, "--force", "--state", filepath.Join(dir, "logrotate.state"), conf).CombinedOutput()
	require.NoError(t, err, "logrotate:\n%s", out)

	writeLines(t, s, buffered)
	tick(t, s, clock)
	writeLines(t, s, after)
	require.NoError(t, s.Close(), "close")

	assert.Equal(t, before, lines(t, path+".1"), "logrotate's backup")
	assert.Equal(t, append(buffered, after...), lines(t, path), "the file logrotate created")
	assert.Equal(t, uint64(1), s.Stats().Reopens, "Stats().Reopens")
	info, err := os.Stat(path)
	require.NoError(t, err, "stat")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "logrotate's create mode is kept")
}

// lookLogrotate finds the logrotate binary. Without it the test is skipped,
// but under CI=true it fails: CI installs it (.ci/run).
func lookLogrotate(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"logrotate", "/usr/sbin/logrotate", "/sbin/logrotate"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("logrotate not found; CI installs it (apt-get install logrotate)")
	}
	t.Skip("logrotate not found (apt-get install logrotate); under CI=true this fails")
	return ""
}
