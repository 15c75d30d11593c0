package rotate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rotateAtOpenLocked rotates the file just opened if it is not empty and
// either RotateOnOpen is set or, with Every, a boundary has passed since
// it was last modified (the service was down when it passed). The
// modification time is the file system's, so the system clock judges it.
// The rotation's hooks wait for the File's first use (runPending).
func (f *File) rotateAtOpenLocked() error {
	info, err := f.fd.Stat()
	if err != nil {
		return fmt.Errorf("rotate: open %q: %w", f.name, f.pathErr(err))
	}
	if info.Size() == 0 {
		return nil
	}
	now := time.Now()
	due := f.cfg.RotateOnOpen ||
		f.cfg.Every > 0 && !nextBoundary(info.ModTime(), f.cfg.Every, f.loc).After(now)
	if !due {
		return nil
	}
	backup, err := f.rotateLocked(now.In(f.loc))
	if err != nil {
		return err
	}
	if f.cfg.BeforeRotate != nil {
		f.pendBefore, f.pending = true, true
	}
	if backup != "" && f.cfg.AfterRotate != nil {
		f.pendBackups, f.pending = append(f.pendBackups, backup), true
	}
	return nil
}

// recoverLocked finishes rotations that a crash interrupted, which left a
// temporary file of createTemp beside the file. An empty one never took
// the file's place, and is removed. One with data is a file that was
// swapped out of the path and not yet renamed: it becomes a backup, named
// for its last modification, and AfterRotate is called for it. Failures
// are reported by the first Follow.
func (f *File) recoverLocked() {
	dir, base := filepath.Split(f.name)
	prefix := "." + base + tempInfix
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.tidyErr = fmt.Errorf("rotate: look for interrupted rotations of %q: %w", f.name, err)
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		tmp := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		if info.Size() == 0 {
			err = os.Remove(tmp)
		} else {
			backup := nextBackupName(f.name, info.ModTime().In(f.loc))
			if err = os.Rename(tmp, backup); err == nil && f.cfg.AfterRotate != nil {
				f.held[backup] = true
				f.pendBackups, f.pending = append(f.pendBackups, backup), true
			}
		}
		if err != nil {
			f.tidyErr = fmt.Errorf("rotate: finish an interrupted rotation of %q: %w", f.name, err)
		}
	}
}

// runPending runs the hooks of rotations made at open, which wait for the
// File's first use so that they never run before Open has returned (a
// hook may log through a logger built on the stream Open returns).
func (f *File) runPending() {
	f.mu.Lock()
	if !f.pending {
		f.mu.Unlock()
		return
	}
	before, backups := f.pendBefore, f.pendBackups
	f.pending, f.pendBefore, f.pendBackups = false, false, nil
	f.mu.Unlock()
	if before {
		f.hook(f.cfg.BeforeRotate)
	}
	for _, b := range backups {
		f.rotated(b)
	}
}
