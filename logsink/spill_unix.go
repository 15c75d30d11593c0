//go:build unix

package logsink

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, or returns ErrSpillInUse.
// flock locks belong to the open file, so a second stream in the same
// process is refused too.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrSpillInUse
	}
	return err
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
