package rotate_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/rotate"
)

func TestOpenRotatesWhenDue(t *testing.T) {
	tests := []struct {
		name       string
		cfg        rotate.Config
		existing   string
		modified   time.Duration // before now
		wantBackup bool
	}{
		{name: "daily, last written yesterday", cfg: rotate.Config{Every: 24 * time.Hour}, existing: "old\n", modified: 25 * time.Hour, wantBackup: true},
		{name: "daily, last written now", cfg: rotate.Config{Every: 24 * time.Hour}, existing: "old\n"},
		{name: "hourly, last written over an hour ago", cfg: rotate.Config{Every: time.Hour}, existing: "old\n", modified: 61 * time.Minute, wantBackup: true},
		{name: "daily, empty file from yesterday", cfg: rotate.Config{Every: 24 * time.Hour}, modified: 25 * time.Hour},
		{name: "no time rotation", existing: "old\n", modified: 25 * time.Hour},
		{name: "rotate_on_open", cfg: rotate.Config{RotateOnOpen: true}, existing: "old\n", wantBackup: true},
		{name: "rotate_on_open, empty file", cfg: rotate.Config{RotateOnOpen: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := logPath(dir)
			require.NoError(t, os.WriteFile(path, []byte(tt.existing), 0o640), "existing file")
			mtime := time.Now().Add(-tt.modified)
			require.NoError(t, os.Chtimes(path, mtime, mtime), "set its modification time")

			cfg := tt.cfg
			cfg.Filename = path
			s, err := rotate.Open(cfg)
			require.NoError(t, err, "open")
			writeLines(t, s, []string{"new"})
			require.NoError(t, s.Close(), "close")

			b := backups(t, dir)
			if !tt.wantBackup {
				assert.Empty(t, b, "backups")
				assert.Equal(t, tt.existing+"new\n", read(t, path), "appended to the existing file")
				return
			}
			require.Len(t, b, 1, "backups")
			assert.Equal(t, tt.existing, read(t, filepath.Join(dir, b[0])), "the existing file became the backup")
			assert.Equal(t, "new\n", read(t, path), "the file holds only this period's entries")
			assert.Zero(t, s.Stats().Rotations, "a rotation at open happens before the stream")
		})
	}
}

func TestOpenRotationHooksWaitForTheStream(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	require.NoError(t, os.WriteFile(path, []byte("previous run\n"), 0o640), "existing file")

	var mu sync.Mutex
	var calls []string
	record := func(c string) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, c)
	}
	s, err := rotate.Open(rotate.Config{
		Filename:     path,
		RotateOnOpen: true,
		Compress:     true,
		BeforeRotate: func() { record("before") },
		AfterRotate: func(p string) {
			// Not yet compressed: retention waits for AfterRotate.
			data, err := os.ReadFile(p)
			if err != nil {
				record("after " + err.Error())
				return
			}
			record("after " + filepath.Base(p) + ": " + string(data))
		},
	})
	require.NoError(t, err, "open")
	mu.Lock()
	assert.Empty(t, calls, "no hook ran before Open returned")
	mu.Unlock()

	writeLines(t, s, []string{"this run"})
	require.NoError(t, s.Close(), "close")
	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	// Compressed if AfterRotate returned before the File closed, else at
	// the next open; never before AfterRotate read it.
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"before", "after " + strings.TrimSuffix(b[0], ".gz") + ": previous run\n"}, calls,
		"hooks, once the stream ran")
}

func TestOpenFinishesAnInterruptedRotation(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	require.NoError(t, os.WriteFile(path, []byte("current\n"), 0o640), "the file")
	// A crash after the swap, before the rename: the old file is under
	// the temporary name. And one before the swap: an empty new file.
	swapped := filepath.Join(dir, ".app.log.rotate-123")
	require.NoError(t, os.WriteFile(swapped, []byte("swapped out\n"), 0o640), "swapped-out file")
	unused := filepath.Join(dir, ".app.log.rotate-456")
	require.NoError(t, os.WriteFile(unused, nil, 0o640), "unused new file")

	var backupc = make(chan string, 2)
	f := newFile(t, rotate.Config{Filename: path, AfterRotate: func(p string) { backupc <- p }})
	require.NoError(t, f.Close(), "close")

	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	assert.Equal(t, "swapped out\n", read(t, filepath.Join(dir, b[0])), "the swapped-out file became a backup")
	assert.Equal(t, filepath.Join(dir, b[0]), receive(t, backupc, "AfterRotate for it"), "AfterRotate's path")
	assert.Equal(t, []string{b[0], "app.log"}, logFiles(t, dir), "no temporary file is left")
	assert.Equal(t, "current\n", read(t, path), "the file")
}
