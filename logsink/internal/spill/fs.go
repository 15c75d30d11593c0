package spill

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FS is the spill's one seam to the file system: every call the store makes
// goes through it, so that a test can put a simulated disk (SimDisk) in its
// place and cut its power. Names are file names inside the spill directory,
// never paths.
type FS interface {
	// Create creates the file name, which must not exist, for reading and
	// writing.
	Create(name string) (File, error)
	// Open opens the existing file name for reading and writing.
	Open(name string) (File, error)
	// Rename renames a file; Remove removes one.
	Rename(oldname, newname string) error
	Remove(name string) error
	// Size returns the size of the file name (stat).
	Size(name string) (int64, error)
	// ReadDir returns the names of the files in the directory.
	ReadDir() ([]string, error)
	// SyncDir makes the directory's entries (creates, renames, removes)
	// durable, like fsync on the directory.
	SyncDir() error
	// Lock takes the directory's exclusive lock, or returns an error
	// matching ErrInUse. Closing the result releases it.
	Lock() (io.Closer, error)
}

// File is an open file of an FS.
type File interface {
	io.ReaderAt
	io.WriterAt
	// Sync makes the file's data durable (fsync).
	Sync() error
	Truncate(size int64) error
	Close() error
}

// ErrInUse is returned by Open (through FS.Lock) when another store, in
// this process or another, holds the directory. Test with errors.Is. Its
// text is logsink's, so that logsink.ErrSpillInUse can be this error.
var ErrInUse = errors.New("logsink: spill directory in use by another stream")

// lockName is the file that holds the directory's lock. It is the name the
// spill of earlier versions used, so that an old and a new stream on one
// directory exclude each other too.
const lockName = "lock"

// osDir is the FS of a directory on the real file system.
type osDir struct{ dir string }

// Dir returns the FS of the existing directory dir.
func Dir(dir string) (FS, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	return osDir{dir: dir}, nil
}

func (d osDir) path(name string) string { return filepath.Join(d.dir, name) }

func (d osDir) Create(name string) (File, error) {
	return os.OpenFile(d.path(name), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
}

func (d osDir) Open(name string) (File, error) {
	return os.OpenFile(d.path(name), os.O_RDWR, 0)
}

func (d osDir) Rename(oldname, newname string) error {
	return os.Rename(d.path(oldname), d.path(newname))
}

func (d osDir) Remove(name string) error { return os.Remove(d.path(name)) }

func (d osDir) Size(name string) (int64, error) {
	info, err := os.Stat(d.path(name))
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

func (d osDir) ReadDir() ([]string, error) {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

func (d osDir) SyncDir() error { return syncDir(d.dir) }

func (d osDir) Lock() (io.Closer, error) {
	f, err := os.OpenFile(d.path(lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return lockedFile{f}, nil
}

// lockedFile releases its lock when closed.
type lockedFile struct{ f *os.File }

func (l lockedFile) Close() error {
	return errors.Join(unlockFile(l.f), l.f.Close())
}
