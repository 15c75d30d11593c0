package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/streamsink/streamsink/logsink"
)

// keepFreeLocked removes the File's own backups, oldest first, while the
// file system holds less than Config.KeepFree free, and returns how many
// it removed. Backups held for AfterRotate stay, and so do the file being
// written and every file that is not one of its backups (listBackups only
// knows those). A compression's temporary file goes first, whatever its
// backup's age: its source is still there, and compressed again later.
// Each removal is reported by the next Follow. why says what asked.
func (f *File) keepFreeLocked(why string) int {
	floor := int64(f.cfg.KeepFree)
	if floor <= 0 {
		return 0
	}
	dir := filepath.Dir(f.name)
	free, ok := freeSpace(dir)
	if !ok || free >= floor {
		return 0
	}
	bs, err := listBackups(f.name, f.loc)
	if err != nil {
		f.noteLocked(fmt.Errorf("rotate: keep_free=%s: list the backups of %q: %w", logsink.Size(floor), f.name, err))
		return 0
	}
	removed := 0
	for _, b := range bs {
		if b.tmp && b.plain && !f.held[b.name] {
			_ = os.Remove(b.name + compressTemp)
		}
	}
	for _, b := range bs {
		if free, ok = freeSpace(dir); !ok || free >= floor {
			break
		}
		if f.held[b.name] {
			continue
		}
		if err := removeBackup(b); err != nil {
			f.noteLocked(fmt.Errorf("rotate: keep_free=%s: remove backup %q: %w", logsink.Size(floor), b.name, err))
			continue
		}
		removed++
		f.stats.keepFreeRemoved.Add(1)
		f.stats.keepFreeRemovedBytes.Add(uint64(b.size))
		f.noteLocked(fmt.Errorf("rotate: keep_free=%s: %s free in %q %s; removed the oldest backup %q (%s)",
			logsink.Size(floor), logsink.Size(free), dir, why, b.name, logsink.Size(b.size)))
	}
	return removed
}

// isNoSpace reports whether err says the disk is full (or the quota used).
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
