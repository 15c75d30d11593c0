package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrInUse is returned by NewFile and Open when another File in this
// process has the same path open: two writers would rename the file under
// each other. Test with errors.Is.
var ErrInUse = errors.New("rotate: file is already open in this process")

// Backup names, as lumberjack makes them: the file's name without its
// extension, a dash, the rotation time in this layout, and the extension;
// compressed backups add compressSuffix.
const (
	backupTimeFormat = "2006-01-02T15-04-05.000"
	compressSuffix   = ".gz"
)

// registry holds the paths that have an open File, and for each path the
// time in its latest backup name, which outlives the File so that a path
// opened again never reuses a name.
var registry struct {
	mu    sync.Mutex
	inUse map[string]bool
	last  map[string]time.Time
}

// acquire marks name as open, or fails with ErrInUse.
func acquire(name string) error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.inUse[name] {
		return fmt.Errorf("rotate: filename=%q: %w", name, ErrInUse)
	}
	if registry.inUse == nil {
		registry.inUse = make(map[string]bool)
		registry.last = make(map[string]time.Time)
	}
	registry.inUse[name] = true
	return nil
}

// release marks name as closed.
func release(name string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	delete(registry.inUse, name)
}

// nextBackupName returns the name to rename the file at name to: now, in
// lumberjack's layout, moved on a millisecond at a time past the previous
// backup's time and past any backup on disk, so that no backup is
// overwritten and names sort in rotation order even when the clock stands
// still or goes back.
func nextBackupName(name string, now time.Time) string {
	t := now.Truncate(time.Millisecond)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if last, ok := registry.last[name]; ok && !t.After(last) {
		t = last.Add(time.Millisecond).In(now.Location())
	}
	for {
		b := backupName(name, t)
		if !exists(b) && !exists(b+compressSuffix) {
			registry.last[name] = t
			return b
		}
		t = t.Add(time.Millisecond)
	}
}

// backupName is lumberjack's backup name for name at t.
func backupName(name string, t time.Time) string {
	dir, base := filepath.Split(name)
	ext := filepath.Ext(base)
	return filepath.Join(dir, base[:len(base)-len(ext)]+"-"+t.Format(backupTimeFormat)+ext)
}

// exists reports whether something might be at name: anything but "does
// not exist" counts, so a backup is never renamed over it.
func exists(name string) bool {
	_, err := os.Lstat(name)
	return !errors.Is(err, fs.ErrNotExist)
}
