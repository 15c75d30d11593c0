package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// ErrInUse is returned by NewFile and Open when another File in this
// process has the same path open: two writers would rename the file under
// each other. Test with errors.Is.
var ErrInUse = errors.New("rotate: file is already open in this process")

// noSizeLimit is the lumberjack MaxSize, in megabytes, that lumberjack's own
// size rotation can never reach: lumberjack computes int64(MaxSize) *
// 1<<20, so anything larger would overflow into a negative limit.
const noSizeLimit = int(min(int64(math.MaxInt), math.MaxInt64>>20))

// Lumberjack's backup names: the file's name without its extension, a dash,
// the rotation time in this layout, and the extension.
const (
	backupTimeFormat = "2006-01-02T15-04-05.000"
	compressSuffix   = ".gz"
)

// millKey identifies a lumberjack.Logger: a path and the settings its mill
// goroutine reads without a lock, which therefore never change.
type millKey struct {
	name       string
	maxBackups int
	maxAgeDays int
	compress   bool
}

// registry holds one lumberjack.Logger per path and retention setting for
// the life of the process, because each starts a mill goroutine that its
// Close never stops: reusing them bounds those goroutines.
var registry struct {
	mu      sync.Mutex
	loggers map[millKey]*lumberjack.Logger
	inUse   map[string]bool      // paths with an open File
	last    map[string]time.Time // the time in each path's latest backup name
}

// acquire marks name as open and returns its lumberjack.Logger.
func acquire(name string, cfg Config) (*lumberjack.Logger, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.inUse[name] {
		return nil, fmt.Errorf("rotate: filename=%q: %w", name, ErrInUse)
	}
	if registry.loggers == nil {
		registry.loggers = make(map[millKey]*lumberjack.Logger)
		registry.inUse = make(map[string]bool)
		registry.last = make(map[string]time.Time)
	}
	key := millKey{
		name:       name,
		maxBackups: cfg.MaxBackups,
		maxAgeDays: maxAgeDays(cfg.MaxAge),
		compress:   cfg.Compress,
	}
	lj := registry.loggers[key]
	if lj == nil {
		lj = &lumberjack.Logger{
			Filename:   name,
			MaxSize:    noSizeLimit, // the stream rotates on size, between entries
			MaxAge:     key.maxAgeDays,
			MaxBackups: key.maxBackups,
			Compress:   key.compress,
			// LocalTime only names lumberjack's own backups, and rotate
			// renames the file itself.
		}
		registry.loggers[key] = lj
	}
	registry.inUse[name] = true
	return lj, nil
}

// maxAgeDays rounds d up to lumberjack's whole days.
func maxAgeDays(d time.Duration) int {
	days := d / day
	if d%day != 0 {
		days++
	}
	return int(days)
}

// release marks name as closed.
func release(name string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	delete(registry.inUse, name)
}

// nextBackupName returns the name to rename the file at name to: the
// current time in loc, in lumberjack's layout, moved on a millisecond at a
// time past the previous backup's time and past any backup on disk, so that
// no backup is overwritten and names sort in rotation order.
func nextBackupName(name string, loc *time.Location) string {
	t := time.Now().In(loc).Truncate(time.Millisecond)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if last, ok := registry.last[name]; ok && !t.After(last) {
		t = last.Add(time.Millisecond).In(loc)
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
