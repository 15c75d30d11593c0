package rotate

import (
	"bytes"
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

	stats fileCounters

	mu           sync.Mutex
	fd           *os.File // the file being written, opened for appending
	size         int64    // its size as last counted
	torn         bool     // the last write was short: the file ends inside an entry
	boundary     int64    // where the last entry known to be whole ends in the file
	midLine      bool     // the file was found ending inside a line: a newline goes first
	unchecked    int64    // bytes written since the path was last found to be this file
	checkedAt    time.Time
	reopened     bool // a Write switched files; the next Follow reports it
	closed       bool
	clock        zapcore.Clock // the stream's, from Bind; nil for the system clock
	hookFn       func(func())  // the stream's hook runner, from Bind
	lost         func(n int)   // the stream's LostBytes counter, from Bind
	writeFn      func(fd *os.File, p []byte) (int, error)
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
		writeFn:      (*os.File).Write,
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
	f.keepFreeLocked("at open")
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
// runner, for BeforeRotate and AfterRotate, its LostBytes counter, for
// bytes that reached a file that was deleted and for a torn entry cut off
// at Close, and its close timeout, which bounds how long Close waits for
// the background retention (logsink.Binder). logsink.New calls it.
func (f *File) Bind(b logsink.Binding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = b.Clock
	f.hookFn = b.Hook
	f.lost = b.Lost
	f.checkedAt = f.nowLocked() // NewFile checked the path by the system clock
	if b.CloseTimeout > 0 {
		f.closeTimeout = b.CloseTimeout
	}
}

// Write appends p to the file. It never rotates: the stream decides that,
// between entries. With Config.Follow, a Write at an entry boundary first
// checks that the file at the path is still the one it writes, when the
// last check is older than a short interval (10ms by the stream's clock),
// so that few bytes go into a file another tool deleted (see Follow). A
// file found ending inside a line gets a newline before the first entry.
// When the disk is full and Config.KeepFree is set, Write removes old
// backups as KeepFree says and tries again once.
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
	if f.follow && !f.torn {
		f.checkPathLocked()
	}
	if f.midLine {
		err := f.endLineLocked()
		if err != nil && f.madeRoomLocked(err) {
			err = f.endLineLocked()
		}
		if err != nil {
			return 0, f.pathErr(err)
		}
	}
	n, err := f.appendLocked(p)
	if err != nil && n < len(p) && f.madeRoomLocked(err) {
		var m int
		m, err = f.appendLocked(p[n:])
		n += m
	}
	return n, f.pathErr(err)
}

// madeRoomLocked reports whether err says the disk is full and KeepFree
// removed backups to make room, so that the write may be tried again.
func (f *File) madeRoomLocked(err error) bool {
	return isNoSpace(err) && f.keepFreeLocked("when a write found the disk full") > 0
}

// appendLocked writes p at the end of the file and keeps the counts: the
// size, the bytes since the last check of the path, and where the last
// whole entry ends. The stream hands a Write whole entries, or the rest of
// one a short write cut (f.torn), so a complete write ends at an entry's
// end; after a short one, the last newline written is the best guess.
func (f *File) appendLocked(p []byte) (int, error) {
	start := f.size
	n, err := f.writeFn(f.fd, p)
	if n < 0 {
		n = 0
	}
	f.size += int64(n)
	f.unchecked += int64(n)
	switch {
	case n == len(p):
		f.torn = false
		f.boundary = f.size
	case n > 0:
		f.torn = true
		if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
			f.boundary = start + int64(i) + 1
		}
	}
	return n, err
}

// endLineLocked writes the newline that a file found ending inside a line
// (a fragment an earlier process left, say) needs before a new entry, so
// that the fragment never swallows it.
func (f *File) endLineLocked() error {
	n, err := f.writeFn(f.fd, []byte{'\n'})
	if n == 1 {
		f.midLine = false
		f.size++
		f.boundary = f.size
		return nil
	}
	if err == nil {
		err = io.ErrShortWrite
	}
	return err
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
		err = f.cutTornLocked()
		err = errors.Join(err, f.pathErr(f.fd.Close()))
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

// cutTornLocked truncates the file back to the end of its last whole
// entry when a short write left it ending inside one that will never be
// finished (Close gave up on it): those bytes are no entry, and would
// join the next process's first line. They are counted in LostBytes, as
// the rest of the entry is by the stream.
func (f *File) cutTornLocked() error {
	if !f.torn || f.boundary >= f.size {
		return nil
	}
	cut := f.size - f.boundary
	if err := f.fd.Truncate(f.boundary); err != nil {
		return fmt.Errorf("cut the torn entry at the end: %w", f.pathErr(err))
	}
	f.size, f.torn = f.boundary, false
	f.stats.tornBytes.Add(uint64(cut))
	if f.lost != nil {
		f.lost(int(cut))
	}
	return nil
}

// openLocked opens the file at the path for appending. like, if not nil,
// is the file it replaces, whose mode and owner a new file takes.
func (f *File) openLocked(like os.FileInfo) error {
	fd, size, midLine, err := openAppend(f.name, os.FileMode(f.cfg.Mode), like)
	if err != nil {
		return fmt.Errorf("rotate: open %q: %w", f.name, err)
	}
	f.fd, f.size, f.torn, f.boundary, f.midLine = fd, size, false, size, midLine
	f.unchecked, f.checkedAt = 0, f.nowLocked()
	return nil
}

// openAppend opens the file at name for appending, so that every write
// lands at its current end, even after another tool truncated it; it
// creates the file, if it does not exist, with the mode of like, the file
// it replaces, or with mode if like is nil, exactly, and its directory if
// that is gone too. It returns the file's size and whether it ends inside
// a line.
func openAppend(name string, mode os.FileMode, like os.FileInfo) (*os.File, int64, bool, error) {
	if like != nil {
		mode = like.Mode().Perm()
	}
	fd, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrNotExist) {
		// Someone removed the directory, logs and all: make it again.
		if err = os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
			fd, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, mode)
		}
	}
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		// Read and write, to look at the last byte; write only if the
		// file may not be read.
		fd, err = os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
		if errors.Is(err, fs.ErrPermission) {
			fd, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		}
	}
	if err != nil {
		return nil, 0, false, err
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
		return nil, 0, false, err
	}
	return fd, info.Size(), endsMidLine(fd, info.Size()), nil
}

// endsMidLine reports whether the file's last byte is there and not a
// newline. A file it cannot read counts as ending a line.
func endsMidLine(fd *os.File, size int64) bool {
	if size == 0 {
		return false
	}
	var last [1]byte
	n, _ := fd.ReadAt(last[:], size-1)
	return n == 1 && last[0] != '\n'
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
