package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// errNoExchange is exchange's answer where files cannot be swapped
// atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// tempInfix names the new files that rotation prepares beside the file
// (.app.log.rotate-123456): hidden, and never taken for a backup.
const tempInfix = ".rotate-"

// Rotate renames the file to a backup named by lumberjack's rule and starts
// a new, empty file with the old file's mode and owner. On Linux the new file is swapped into
// place atomically (renameat2 with RENAME_EXCHANGE), so the path never goes
// missing; elsewhere, or on a file system that cannot swap, the file is
// renamed and the new one renamed into place right after. BeforeRotate is
// called first, and AfterRotate with the backup's path once the new file is
// in place (see Config for where they run); then backups are removed and
// compressed as configured, in the background. Rotate does not flush
// anything: use Stream.Rotate, which flushes and fsyncs first.
//
// If the file is no longer at its path (another tool deleted or renamed
// it), there is nothing of ours to rename: Rotate goes on in the file now
// at the path, or a new one, and AfterRotate is not called. If the rename
// fails, writing goes on into the same file and Rotate returns the error.
func (f *File) Rotate() error {
	f.runPending()
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return f.errClosed("rotate")
	}
	if f.cfg.BeforeRotate != nil {
		f.hook(f.cfg.BeforeRotate)
	}
	f.mu.Lock()
	backup, err := f.rotateLocked(f.nowLocked())
	f.mu.Unlock()
	f.rotated(backup)
	return err
}

// rotated runs AfterRotate for backup, if it is set and there is a backup,
// and then lets the background retention at the backups.
func (f *File) rotated(backup string) {
	if backup == "" || f.cfg.AfterRotate == nil {
		f.mill.kick()
		return
	}
	f.hook(func() {
		f.cfg.AfterRotate(backup)
		f.mu.Lock()
		delete(f.held, backup)
		f.mu.Unlock()
		f.mill.kick()
	})
}

// rotateLocked moves the file to a backup named for now and opens a new
// one at the path. It returns the backup's path, or "" if there was
// nothing of ours to move. A backup that AfterRotate will be given is
// held back from the background retention until AfterRotate returns.
func (f *File) rotateLocked(now time.Time) (string, error) {
	if f.closed {
		return "", f.errClosed("rotate")
	}
	var cur os.FileInfo
	if f.fd != nil {
		var err error
		if cur, err = f.fd.Stat(); err != nil {
			return "", fmt.Errorf("rotate %q: %w", f.name, f.pathErr(err))
		}
	}
	at, err := os.Stat(f.name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("rotate %q: %w", f.name, err)
	}
	if cur == nil || at == nil || !os.SameFile(cur, at) {
		// Another tool deleted or renamed the file: what is at the path,
		// if anything, is not ours to rename.
		_, err := f.switchLocked(cur)
		return "", err
	}

	f.keepFreeLocked("before a rotation")
	fd, backup, err := f.replaceLocked(nextBackupName(f.name, now), cur)
	if fd != nil {
		old := f.fd
		f.fd, f.size, f.torn, f.boundary, f.midLine = fd, 0, false, 0, false
		f.unchecked, f.checkedAt = 0, f.nowLocked()
		if cerr := old.Close(); cerr != nil {
			err = errors.Join(err, f.pathErr(cerr))
		}
	}
	if backup != "" && f.cfg.AfterRotate != nil {
		f.held[backup] = true
	}
	if err != nil {
		err = fmt.Errorf("rotate %q: %w", f.name, err)
	}
	return backup, err
}

// replaceLocked puts a new, empty file at the path and moves the file that
// was there, cur, to backup. It returns the new file, open for appending,
// and backup once the old file is there. On failure before the new file
// is in place, it returns no file, and the old one stays where it was.
func (f *File) replaceLocked(backup string, cur os.FileInfo) (*os.File, string, error) {
	fd, tmp, err := createTemp(f.name, os.FileMode(f.cfg.Mode), cur)
	if err != nil {
		return nil, "", err
	}
	discard := func() {
		_ = fd.Close()
		_ = os.Remove(tmp)
	}

	if !f.noExchange {
		err := exchange(tmp, f.name)
		switch {
		case err == nil:
			// The new file is at the path; the old one is under the
			// temporary name until it gets its backup name.
			if err := os.Rename(tmp, backup); err != nil {
				return fd, "", fmt.Errorf("the old file stays at %q (the next open names it as a backup): %w", tmp, err)
			}
			return fd, backup, nil
		case errors.Is(err, errNoExchange):
			f.noExchange = true
		default:
			discard()
			return nil, "", err
		}
	}

	// Rename, then rename the new file into place: the path is missing in
	// between, for as long as one rename takes.
	if err := os.Rename(f.name, backup); err != nil {
		discard()
		return nil, "", err
	}
	if err := os.Rename(tmp, f.name); err != nil {
		discard()
		nfd, _, _, oerr := openAppend(f.name, os.FileMode(f.cfg.Mode), cur)
		if oerr != nil {
			return nil, backup, errors.Join(err, oerr)
		}
		return nfd, backup, nil
	}
	return fd, backup, nil
}

// createTemp creates a new, empty file beside the file at name, under a
// hidden temporary name, open for appending, with the mode and owner of
// like, or with mode if like is nil, exactly. It returns the file and its
// name.
func createTemp(name string, mode os.FileMode, like os.FileInfo) (*os.File, string, error) {
	if like != nil {
		mode = like.Mode().Perm()
	}
	dir, base := filepath.Split(name)
	for range 100 {
		tmp := filepath.Join(dir, "."+base+tempInfix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		fd, err := os.OpenFile(tmp, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if err := fd.Chmod(mode); err != nil { // the umask may have taken bits away
			_ = fd.Close()
			_ = os.Remove(tmp)
			return nil, "", err
		}
		if like != nil {
			chownLike(fd, like)
		}
		return fd, tmp, nil
	}
	return nil, "", fmt.Errorf("no free temporary name beside %q", name)
}
