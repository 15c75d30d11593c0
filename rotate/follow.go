package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Follow checks that the file at the path is still the one being written,
// comparing device and inode of the path with those of the open
// descriptor (logsink.Follower: the stream calls it once per flush
// interval, before it writes what is buffered). If another tool deleted
// the file, or renamed it and perhaps put another in its place, Follow
// switches to the file now at the path, or creates one with the old file's
// mode and owner, and reports reopened; the stream counts it in
// Stats().Reopens. A switch that a Write made since the last call (Write
// checks too, at most every 10ms) is reported the same way. If the old
// file was deleted, the bytes written into it since the path was last
// found to be it are lost with it: they are counted in the stream's
// Stats().LostBytes and in File.Stats().UnlinkedBytes, and reported as an
// error naming the path. That is an upper bound, since some of them may
// have been read (by tail -F, say) before the deletion. It costs
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
	switch {
	case f.closed || f.torn:
	case !f.follow:
		f.recountLocked()
	default:
		reopened, err = f.followLocked()
	}
	reopened = reopened || f.reopened
	err = errors.Join(f.tidyErr, err)
	f.reopened, f.tidyErr = false, nil
	return reopened, err
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

// writeCheckEvery is how often, by the stream's clock, a Write checks the
// path (about 20µs for an fstat and a stat), so that what goes into a file
// another tool deleted between two Follow calls stays small under load.
const writeCheckEvery = 10 * time.Millisecond

// checkPathLocked runs followLocked for a Write when the last check is
// older than writeCheckEvery. What it finds waits for the next Follow.
func (f *File) checkPathLocked() {
	if d := f.nowLocked().Sub(f.checkedAt); d >= 0 && d < writeCheckEvery {
		return // a clock that went back counts as due
	}
	reopened, err := f.followLocked()
	f.reopened = f.reopened || reopened
	f.noteLocked(err)
}

// noteLocked keeps err for the next Follow, which reports it.
func (f *File) noteLocked(err error) {
	if err != nil {
		f.tidyErr = errors.Join(f.tidyErr, err)
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
		f.unchecked, f.checkedAt = 0, f.nowLocked()
		return false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("rotate: follow %q: %w", f.name, err)
	}
	return f.switchLocked(cur)
}

// Reopen switches to the file at the path, creating it with the old file's
// mode and owner if it is gone, without renaming anything: for external tools such as
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
		cur, _ = f.fd.Stat() // to give a new file the same mode and owner
	}
	_, err := f.switchLocked(cur)
	return err
}

// switchLocked opens the file at the path, creating it if it is missing
// (with the mode and owner of cur, if not nil), and only then fsyncs and
// closes the file written so far: if the open fails, writing goes on where
// it was. It reports whether it switched. If the old file was deleted, the
// bytes written into it since the last check are counted as lost.
func (f *File) switchLocked(cur os.FileInfo) (bool, error) {
	old, unchecked, since := f.fd, f.unchecked, f.checkedAt
	f.fd = nil
	if err := f.openLocked(cur); err != nil {
		f.fd = old
		f.unchecked, f.checkedAt = unchecked, since
		return false, err
	}
	if old == nil {
		return true, nil
	}
	if gone, err := old.Stat(); err == nil && unlinked(gone) && unchecked > 0 {
		// Reported by the next Follow, not as this call's failure: the
		// switch itself went well.
		f.stats.unlinkedBytes.Add(uint64(unchecked))
		if f.lost != nil {
			f.lost(int(unchecked))
		}
		f.noteLocked(fmt.Errorf("rotate: %q was deleted: up to %d bytes written into it since %s are lost with it",
			f.name, unchecked, since.Format(time.RFC3339Nano)))
	}
	// The fsync makes what was written before the switch as durable,
	// once the stream's next Sync returns, as what is written after it.
	if err := errors.Join(f.pathErr(old.Sync()), f.pathErr(old.Close())); err != nil {
		return true, fmt.Errorf("rotate: close the previous file of %q: %w", f.name, err)
	}
	return true, nil
}
