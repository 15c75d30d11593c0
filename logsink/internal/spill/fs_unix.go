//go:build unix

package spill

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, or returns ErrInUse.
// flock locks belong to the open file, so a second store in the same
// process is refused too.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return err
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// syncDir fsyncs the directory dir, so that the files created, renamed and
// removed in it stay so after a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
