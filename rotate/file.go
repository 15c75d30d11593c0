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

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

// A File is a rotating log file, the destination that Open puts behind a
// stream. It writes the file through a descriptor of its own, renames it to
// backups named as lumberjack names them, and keeps the backups within
// MaxBackups, MaxAge and MaxTotalSize, compressed if asked, on a goroutine
// of its own that Close stops. It is safe for concurrent use, but the
// stream it is given to owns it: only the stream's flusher should call it
// then.
//
// A File implements logsink.SizeRotator and logsink.TimeRotator, so the
// stream rotates it between entries when it is full and at the wall-clock
// boundaries of Config.Every; logsink.Reopener for a signal from an
// external tool; logsink.Follower, so the stream checks once per flush
// interval that the file at the path is still the one it writes; and
// logsink.Binder, to take the stream's clock for backup names and its hook
// goroutine for BeforeRotate and AfterRotate. After Close, Write, Sync,
// Rotate and Reopen return an error matching fs.ErrClosed.
type File struct {
	name   string // absolute path
	cfg    Config // with defaults
	loc    *time.Location
	follow bool
	limits limits
	mill   *mill // set once by NewFile; nil when there are no backups to remove or compress

	mu           sync.Mutex
	fd           *os.File // the file being written, opened for appending
	size         int64    // its size as last counted
	torn         bool     // the last write was short: the file ends inside an entry
	closed       bool
	clock        zapcore.Clock // the stream's, from Bind; nil for the system clock
	hookFn       func(func())  // the stream's hook runner, from Bind
	closeTimeout time.Duration
	held         map[string]bool // backups whose AfterRotate has not returned
	pending      bool            // a rotation at open whose hooks have not run
	pendBefore   bool
	pendBackups  []string
	noExchange   bool  // the file system cannot swap files atomically
	tidyErr      error // the latest error of the background retention, not yet reported
}

var (
	_ io.WriteCloser            = (*File)(nil)
	_ logsink.SizeRotator       = (*File)(nil)
	_ logsink.TimeRotator       = (*File)(nil)
	_ logsink.Reopener          = (*File)(nil)
	_ logsink.Follower          = (*File)(nil)
	_ logsink.Binder            = (*File)(nil)
	_ interface{ Sync() error } = (*File)(nil)
)

// NewFile validates cfg and opens its file, creating it with cfg.Mode if it
// does not exist, and appending to it if it does, unless it is due for a
// rotation at open: with cfg.Every, a file last modified before the most
// recent boundary; with cfg.RotateOnOpen, any file that is not empty. Those
// rotations are timed and named by the system clock, since no stream is
// bound yet. Then it starts removing and compressing backups as cfg says,
// in the background. The stream settings in cfg are validated but
// otherwise unused: they are for Open. Only one File per path may be open
// in a process at a time (ErrInUse).
func NewFile(cfg Config) (*File, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	name, err := filepath.Abs(cfg.Filename)
	if err != nil {
		return nil, fmt.Errorf("rotate: filename=%q: %w", cfg.Filename, err)
	}
	if err := acquire(name); err != nil {
		return nil, err
	}
	f := &File{
		name:         name,
		cfg:          cfg,
		loc:          time.UTC,
		follow:       cfg.Follow.on(),
		limits:       limits{maxBackups: cfg.MaxBackups, maxAge: cfg.MaxAge, maxTotal: int64(cfg.MaxTotalSize)},
		closeTimeout: logsink.DefaultCloseTimeout,
		held:         make(map[string]bool),
	}
	if cfg.LocalTime {
		f.loc = time.Local
	}
	if err := f.open(); err != nil {
		release(name)
		return nil, err
	}
	return f, nil
}

// open finishes what an interrupted rotation left, opens the file, rotates
// it if it is due at open, and starts the background retention.
func (f *File) open() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recoverLocked()
	if err := f.openLocked(nil); err != nil {
		return err
	}
	if err := f.rotateAtOpenLocked(); err != nil {
		_ = f.fd.Close()
		return err
	}
	if f.limits.any() || f.cfg.Compress {
		f.mill = startMill(f.tidy)
		f.mill.kick()
	}
	return nil
}

// Name returns the file's absolute path.
func (f *File) Name() string { return f.name }

// Bind takes the stream's clock, for backup names and MaxAge, its hook
// runner, for BeforeRotate and AfterRotate, and its close timeout, which
// bounds how long Close waits for the background retention
// (logsink.Binder). logsink.New calls it.
func (f *File) Bind(b logsink.Binding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = b.Clock
	f.hookFn = b.Hook
	if b.CloseTimeout > 0 {
		f.closeTimeout = b.CloseTimeout
	}
}

// Write appends p to the file. It never rotates: the stream decides that,
// between entries.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	if f.pending {
		f.mu.Unlock()
		f.runPending()
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if f.closed {
		return 0, f.errClosed("write")
	}
	if f.fd == nil {
		if err := f.openLocked(nil); err != nil {
			return 0, err
		}
	}
	n, err := f.fd.Write(p)
	f.size += int64(n)
	switch {
	case n == len(p):
		f.torn = false
	case n > 0:
		f.torn = true
	}
	return n, f.pathErr(err)
}

// Sync commits the file's contents to disk.
func (f *File) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.errClosed("sync")
	}
	if f.fd == nil {
		return nil
	}
	return f.pathErr(f.fd.Sync())
}

// Close closes the file and stops the background retention once it has
// removed and compressed what the last rotation asked for, waiting at most
// the stream's close timeout (5s for a File without a stream); a
// compression still running then is abandoned, and done again at the next
// open. Close does not fsync; the stream syncs before it closes. Later
// calls return nil.
func (f *File) Close() error {
	f.runPending()
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	var err error
	if f.fd != nil {
		err = f.pathErr(f.fd.Close())
		f.fd = nil
	}
	timeout := f.closeTimeout
	f.mu.Unlock()

	if !f.mill.close(timeout) {
		err = errors.Join(err, fmt.Errorf("backup retention still running after %s; it stops when its current file operation returns", timeout))
	}
	release(f.name)
	if err != nil {
		return fmt.Errorf("rotate: close %q: %w", f.name, err)
	}
	return nil
}

// SizeLimit returns the file's size and Config.MaxSize, for the stream's
// size rotation (logsink.SizeRotator). The size is counted as the File
// writes, without a system call, and set to the file's own size when it is
// opened and at each Follow, so that it follows a file that another tool
// truncated (logrotate's copytruncate) within a flush interval.
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

// nowLocked returns the stream's time, or the system's before Bind, in the
// zone of backup names.
func (f *File) nowLocked() time.Time {
	if f.clock != nil {
		return f.clock.Now().In(f.loc)
	}
	return time.Now().In(f.loc)
}

// hook runs fn as the stream runs its own hooks, on its hook goroutine,
// once the File is bound; before, or without a stream, right away. The
// caller must not hold f.mu.
func (f *File) hook(fn func()) {
	f.mu.Lock()
	run := f.hookFn
	f.mu.Unlock()
	if run == nil {
		fn()
		return
	}
	run(fn)
}

// openLocked opens the file at the path for appending. like, if not nil,
// is the file it replaces, whose owner a new file takes.
func (f *File) openLocked(like os.FileInfo) error {
	fd, size, err := openAppend(f.name, os.FileMode(f.cfg.Mode), like)
	if err != nil {
		return fmt.Errorf("rotate: open %q: %w", f.name, err)
	}
	f.fd, f.size, f.torn = fd, size, false
	return nil
}

// openAppend opens the file at name for appending, so that every write
// lands at its current end, even after another tool truncated it; it
// creates the file with mode, exactly, if it does not exist, and its
// directory if that is gone too. It returns the file's size.
func openAppend(name string, mode os.FileMode, like os.FileInfo) (*os.File, int64, error) {
	fd, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrNotExist) {
		// Someone removed the directory, logs and all: make it again.
		if err = os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
			fd, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, mode)
		}
	}
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		fd, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	}
	if err != nil {
		return nil, 0, err
	}
	if created {
		err = fd.Chmod(mode) // the umask may have taken bits away
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
		return nil, 0, err
	}
	return fd, info.Size(), nil
}

// pathErr names the File's path in a *fs.PathError from its descriptor,
// which may have been opened under a temporary name.
func (f *File) pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != f.name {
		return &fs.PathError{Op: pe.Op, Path: f.name, Err: pe.Err}
	}
	return err
}

func (f *File) errClosed(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
}
