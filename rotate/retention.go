package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// limits are the retention settings: MaxBackups, MaxAge and MaxTotalSize.
// Zero means no limit.
type limits struct {
	maxBackups int
	maxAge     time.Duration
	maxTotal   int64
}

func (l limits) any() bool { return l.maxBackups > 0 || l.maxAge > 0 || l.maxTotal > 0 }

// A backup is one rotated file of the path, which one or more files on
// disk hold: the backup itself, its compressed copy, and the temporary
// file of a compression in progress or interrupted by a crash.
type backup struct {
	name  string    // the uncompressed backup's path: dir/app-2006-01-02T15-04-05.000.log
	t     time.Time // the time in its name
	plain bool      // name exists
	gz    bool      // name+".gz" exists
	tmp   bool      // name+".gz.tmp" exists
	size  int64     // the bytes of every file that holds it
}

// compressTemp is the suffix of a compression's temporary file.
const compressTemp = compressSuffix + ".tmp"

// listBackups returns the backups of the file at name, oldest first,
// reading the times in their names in loc.
func listBackups(name string, loc *time.Location) ([]backup, error) {
	dir, base := filepath.Split(name)
	ext := filepath.Ext(base)
	prefix := base[:len(base)-len(ext)] + "-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*backup)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		plain, gz, tmp := n, false, false
		switch {
		case strings.HasSuffix(n, compressTemp):
			plain, tmp = strings.TrimSuffix(n, compressTemp), true
		case strings.HasSuffix(n, compressSuffix):
			plain, gz = strings.TrimSuffix(n, compressSuffix), true
		}
		if len(plain) < len(prefix)+len(ext) || !strings.HasPrefix(plain, prefix) || !strings.HasSuffix(plain, ext) {
			continue
		}
		t, err := time.ParseInLocation(backupTimeFormat, plain[len(prefix):len(plain)-len(ext)], loc)
		if err != nil {
			continue // not a name rotate made
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		b := byName[plain]
		if b == nil {
			b = &backup{name: filepath.Join(dir, plain), t: t}
			byName[plain] = b
		}
		switch {
		case tmp:
			b.tmp = true
		case gz:
			b.gz = true
		default:
			b.plain = true
		}
		b.size += info.Size()
	}
	out := make([]backup, 0, len(byName))
	for _, b := range byName {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b backup) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// expired returns the backups, from bs (oldest first), that the limits
// remove: all but the newest maxBackups, those whose time is before now
// less maxAge, and then, oldest first, as many as it takes for the rest
// and the active file's bytes to fit in maxTotal. Backups in held stay,
// though they count towards maxTotal.
func (l limits) expired(bs []backup, now time.Time, active int64, held map[string]bool) []backup {
	remove := make([]bool, len(bs))
	if l.maxBackups > 0 {
		for i := range len(bs) - l.maxBackups {
			remove[i] = true
		}
	}
	if l.maxAge > 0 {
		cutoff := now.Add(-l.maxAge)
		for i, b := range bs {
			remove[i] = remove[i] || b.t.Before(cutoff)
		}
	}
	for i, b := range bs {
		remove[i] = remove[i] && !held[b.name]
	}
	if l.maxTotal > 0 {
		total := active
		for i, b := range bs {
			if !remove[i] {
				total += b.size
			}
		}
		for i, b := range bs {
			if total <= l.maxTotal {
				break
			}
			if !remove[i] && !held[b.name] {
				remove[i] = true
				total -= b.size
			}
		}
	}
	var out []backup
	for i, b := range bs {
		if remove[i] {
			out = append(out, b)
		}
	}
	return out
}

// removeBackup removes every file that holds b.
func removeBackup(b backup) error {
	var errs []error
	for _, p := range []string{b.name, b.name + compressSuffix, b.name + compressTemp} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tidy is one pass of the background retention: it removes the backups
// the limits expire and, with Compress, compresses the others, oldest
// first, leaving alone those held for AfterRotate. It stops early when
// abort is closed. Errors wait for the next Follow.
func (f *File) tidy(abort <-chan struct{}) {
	err := f.tidyOnce(abort)
	if err != nil {
		f.mu.Lock()
		f.noteLocked(err)
		f.mu.Unlock()
	}
}

func (f *File) tidyOnce(abort <-chan struct{}) error {
	bs, err := listBackups(f.name, f.loc)
	if err != nil {
		return fmt.Errorf("rotate: list the backups of %q: %w", f.name, err)
	}
	f.mu.Lock()
	now := f.nowLocked()
	var info os.FileInfo
	if f.fd != nil {
		info, err = f.fd.Stat()
	} else {
		info, err = os.Stat(f.name) // closed: the last pass
	}
	// The file counts at MaxSize, the most it grows to before it rotates,
	// so that disk use stays under MaxTotalSize until the next pass.
	active := int64(f.cfg.MaxSize)
	if err == nil {
		active = max(active, info.Size())
	}
	held := maps.Clone(f.held)
	f.mu.Unlock()

	var errs []error
	removed := make(map[string]bool)
	for _, b := range f.limits.expired(bs, now, active, held) {
		removed[b.name] = true
		if err := removeBackup(b); err != nil {
			errs = append(errs, fmt.Errorf("rotate: remove backup: %w", err))
		}
	}
	for _, b := range bs {
		if removed[b.name] || held[b.name] {
			continue
		}
		if b.tmp && !b.plain { // a crash left it, and the backup is compressed or gone
			if err := os.Remove(b.name + compressTemp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("rotate: remove an interrupted compression: %w", err))
			}
		}
		if !f.cfg.Compress || !b.plain {
			continue
		}
		if err := compress(b.name, abort); err != nil {
			if errors.Is(err, errStopped) {
				break
			}
			errs = append(errs, fmt.Errorf("rotate: compress backup: %w", err))
		}
	}
	return errors.Join(errs...)
}
