package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Follow checks that the file at the path is still the one being written,
// comparing device and inode of the path with those of the open
// descriptor (logsink.Follower: the stream calls it once per flush
// interval, before it writes what is buffered). If another tool deleted
// the file, or renamed it and perhaps put another in its place, Follow
// switches to the file now at the path, or creates one with Config.Mode,
// and reports reopened; the stream counts it in Stats().Reopens. It costs
// one fstat and one stat, and sets the size count that SizeLimit reports
// to the file's own size (after logrotate's copytruncate, for one). When
// Config.Follow is Off it only does the latter. It waits for the next call
// while the file ends inside an entry after a failed write, so that no
// entry is split across two files.
//
// Follow also reports errors of the background retention and compression
// since the last call, which the stream passes to OnError.
func (f *File) Follow() (reopened bool, err error) {
	f.runPending()
	f.mu.Lock()
	defer f.mu.Unlock()
	tidyErr := f.tidyErr
	f.tidyErr = nil
	switch {
	case f.closed || f.torn:
		return false, tidyErr
	case !f.follow:
		f.recountLocked()
		return false, tidyErr
	}
	reopened, err = f.followLocked()
	return reopened, errors.Join(err, tidyErr)
}

// recountLocked sets the size count to the file's own size, which differs
// once another tool truncated or appended to it.
func (f *File) recountLocked() {
	if f.fd == nil {
		return
	}
	if info, err := f.fd.Stat(); err == nil {
		f.size = info.Size()
	}
}

func (f *File) followLocked() (bool, error) {
	if f.fd == nil { // a Write could not open it either
		err := f.openLocked(nil)
		return err == nil, err
	}
	cur, err := f.fd.Stat()
	if err != nil {
		return false, fmt.Errorf("rotate: follow %q: %w", f.name, f.pathErr(err))
	}
	at, err := os.Stat(f.name)
	switch {
	case err == nil && os.SameFile(cur, at):
		f.size = cur.Size()
		return false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("rotate: follow %q: %w", f.name, err)
	}
	return f.switchLocked(cur)
}

// Reopen switches to the file at the path, creating it with Config.Mode if
// it is gone, without renaming anything: for external tools such as
// logrotate that renamed the file and signal the service. Following the
// path (Config.Follow) does the same within a flush interval; Reopen does
// it now. Use Stream.Reopen, which flushes and fsyncs first, or
// ReopenOnSignal.
func (f *File) Reopen() error {
	f.runPending()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.errClosed("reopen")
	}
	var cur os.FileInfo
	if f.fd != nil {
		cur, _ = f.fd.Stat() // only to give a new file the same owner
	}
	_, err := f.switchLocked(cur)
	return err
}

// switchLocked opens the file at the path, creating it if it is missing
// (with the owner of cur, if not nil), and only then fsyncs and closes the
// file written so far: if the open fails, writing goes on where it was. It
// reports whether it switched.
func (f *File) switchLocked(cur os.FileInfo) (bool, error) {
	old := f.fd
	f.fd = nil
	if err := f.openLocked(cur); err != nil {
		f.fd = old
		return false, err
	}
	if old == nil {
		return true, nil
	}
	// The fsync makes what was written before the switch as durable,
	// once the stream's next Sync returns, as what is written after it.
	if err := errors.Join(f.pathErr(old.Sync()), f.pathErr(old.Close())); err != nil {
		return true, fmt.Errorf("rotate: close the previous file of %q: %w", f.name, err)
	}
	return true, nil
}
