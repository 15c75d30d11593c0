package rotate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/logsink"
)

// A File is a rotating log file, the destination that Open puts behind a
// stream. lumberjack writes it and keeps its backups; the File decides when
// it rotates. It is safe for concurrent use, but the stream it is given to
// owns it: only the stream's flusher should call it then.
//
// A File implements logsink.SizeRotator and logsink.TimeRotator, so the
// stream rotates it between entries when it is full and at the wall-clock
// boundaries of Config.Every, and logsink.Reopener for external rotation.
// After Close, Write, Sync, Rotate and Reopen return an error matching
// fs.ErrClosed.
type File struct {
	name string // absolute path
	cfg  Config // with defaults
	loc  *time.Location
	lj   *lumberjack.Logger // shared through the registry; never rotated by itself

	mu     sync.Mutex
	fd     *os.File // our own descriptor on the file lumberjack writes, for Sync
	size   int64    // the file's size, counted as we write
	ljOpen bool     // lumberjack has the file open
	closed bool
}

var (
	_ io.WriteCloser            = (*File)(nil)
	_ logsink.SizeRotator       = (*File)(nil)
	_ logsink.TimeRotator       = (*File)(nil)
	_ logsink.Reopener          = (*File)(nil)
	_ interface{ Sync() error } = (*File)(nil)
)

// NewFile validates cfg and opens its file, creating it with cfg.Mode if it
// does not exist, and appending to it if it does. The stream settings in
// cfg are validated but otherwise unused: they are for Open. Only one File
// per path may be open in a process at a time (ErrInUse).
func NewFile(cfg Config) (*File, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	name, err := filepath.Abs(cfg.Filename)
	if err != nil {
		return nil, fmt.Errorf("rotate: filename=%q: %w", cfg.Filename, err)
	}
	lj, err := acquire(name, cfg)
	if err != nil {
		return nil, err
	}
	f := &File{name: name, cfg: cfg, loc: time.UTC, lj: lj}
	if cfg.LocalTime {
		f.loc = time.Local
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.openLocked(nil); err != nil {
		release(name)
		return nil, err
	}
	return f, nil
}

// Name returns the file's absolute path.
func (f *File) Name() string { return f.name }

// Write appends p to the file. It never rotates: the stream decides that,
// between entries.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, f.errClosed("write")
	}
	if err := f.openLocked(nil); err != nil {
		return 0, err
	}
	n, err := f.lj.Write(p)
	f.size += int64(n)
	return n, err
}

// Sync commits the file's contents to disk. lumberjack does not expose its
// *os.File, so the File keeps its own descriptor on the same file: fsync
// flushes the file, whichever descriptor asks.
func (f *File) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.errClosed("sync")
	}
	if f.fd == nil {
		return nil
	}
	return f.fd.Sync()
}

// Close closes the file. lumberjack's Logger for the path stays in a
// registry, with its mill goroutine, for the next File on that path. Close
// does not fsync; the stream syncs before it closes. Later calls return nil.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	err := f.closeLocked()
	release(f.name)
	if err != nil {
		return fmt.Errorf("rotate: close %q: %w", f.name, err)
	}
	return nil
}

// Rotate renames the file to a backup named by lumberjack's rule and starts
// a new, empty file with Config.Mode. It calls Config.BeforeRotate first
// and Config.AfterRotate with the backup's path once the new file is open;
// then lumberjack compresses and removes old backups as configured, in the
// background. Rotate does not flush anything: use Stream.Rotate, which
// flushes and fsyncs first.
//
// If the file has vanished (deleted, or renamed by another tool), Rotate
// just starts a new file and AfterRotate is not called. If the rename
// fails, writing goes on into the same file and Rotate returns the error.
func (f *File) Rotate() error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return f.errClosed("rotate")
	}
	if f.cfg.BeforeRotate != nil {
		f.cfg.BeforeRotate()
	}

	f.mu.Lock()
	backup, err := f.rotateLocked()
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if backup != "" && f.cfg.AfterRotate != nil {
		f.cfg.AfterRotate(backup)
	}

	// lumberjack opening the new file starts its mill on the backups, now
	// that AfterRotate has had them as they were.
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	return f.openLocked(nil)
}

// rotateLocked closes the file, renames it to a new backup name and opens a
// new file, without letting lumberjack open it yet. It returns the backup's
// path, or "" if the file had vanished.
func (f *File) rotateLocked() (string, error) {
	if f.closed {
		return "", f.errClosed("rotate")
	}
	var old os.FileInfo
	if f.fd != nil {
		old, _ = f.fd.Stat() // only to give the new file the same owner
	}
	if err := f.closeLocked(); err != nil {
		return "", fmt.Errorf("rotate %q: %w", f.name, err)
	}
	backup := nextBackupName(f.name, f.loc)
	if err := os.Rename(f.name, backup); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return "", errors.Join(fmt.Errorf("rotate %q: %w", f.name, err), f.openLocked(nil))
		}
		backup = ""
	}
	if err := f.openFDLocked(old); err != nil {
		return "", err
	}
	return backup, nil
}

// Reopen closes the file and opens the file at the same path, creating it
// with Config.Mode if it is gone, without renaming anything: for external
// tools such as logrotate that renamed the file. Use Stream.Reopen, which
// flushes and fsyncs first, or ReopenOnSignal.
func (f *File) Reopen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.errClosed("reopen")
	}
	if err := f.closeLocked(); err != nil {
		return errors.Join(fmt.Errorf("rotate: reopen %q: %w", f.name, err), f.openLocked(nil))
	}
	return f.openLocked(nil)
}

// SizeLimit returns the current file's size and Config.MaxSize, for the
// stream's size rotation (logsink.SizeRotator).
func (f *File) SizeLimit() (size, limit int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size, int64(f.cfg.MaxSize)
}

// NextRotation returns the first boundary of Config.Every after now, on the
// wall clock of local time if Config.LocalTime is set, else of UTC; or the
// zero time when Every is 0 (logsink.TimeRotator). The stream asks with
// its own clock's time.
func (f *File) NextRotation(now time.Time) time.Time {
	if f.cfg.Every <= 0 {
		return time.Time{}
	}
	return nextBoundary(now, f.cfg.Every, f.loc)
}

// openLocked makes sure the file is open, ours and lumberjack's. like, if
// not nil, is the file a new file replaces, whose owner it keeps.
func (f *File) openLocked(like os.FileInfo) error {
	if f.fd == nil {
		if err := f.openFDLocked(like); err != nil {
			return err
		}
	}
	if !f.ljOpen {
		// The file exists, so lumberjack appends to it rather than create
		// it with its own mode; opening also starts lumberjack's mill.
		if _, err := f.lj.Write(nil); err != nil {
			return fmt.Errorf("rotate: open %q: %w", f.name, err)
		}
		f.ljOpen = true
	}
	return nil
}

// openFDLocked opens our descriptor on the file, creating the file with
// Config.Mode, exactly, if it does not exist.
func (f *File) openFDLocked(like os.FileInfo) error {
	fd, err := os.OpenFile(f.name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, os.FileMode(f.cfg.Mode))
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		fd, err = os.OpenFile(f.name, os.O_WRONLY|os.O_APPEND, 0)
	}
	if err != nil {
		return fmt.Errorf("rotate: open %q: %w", f.name, err)
	}
	if created {
		err = fd.Chmod(os.FileMode(f.cfg.Mode)) // the umask may have taken bits away
		if like != nil {
			chownLike(fd, like)
		}
	}
	var info os.FileInfo
	if err == nil {
		info, err = fd.Stat()
	}
	if err != nil {
		_ = fd.Close()
		return fmt.Errorf("rotate: open %q: %w", f.name, err)
	}
	f.fd, f.size = fd, info.Size()
	return nil
}

// closeLocked closes lumberjack's file and our descriptor.
func (f *File) closeLocked() error {
	var errs []error
	if f.ljOpen {
		errs = append(errs, f.lj.Close())
		f.ljOpen = false
	}
	if f.fd != nil {
		errs = append(errs, f.fd.Close())
		f.fd = nil
	}
	return errors.Join(errs...)
}

func (f *File) errClosed(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
}
