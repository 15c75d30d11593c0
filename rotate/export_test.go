package rotate

import (
	"io/fs"
	"os"
	"syscall"
)

// RenameWithoutExchange makes f rotate as it does where files cannot be
// swapped atomically, to measure the difference.
func RenameWithoutExchange(f *File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noExchange = true
}

// FailWritesAfter makes f's writes fail with ENOSPC, as on a full disk,
// once n more bytes have gone into the file: the write that crosses the
// mark is short, as write(2) is when the disk fills inside it. HealWrites
// lets them through again.
func FailWritesAfter(f *File, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := n
	f.writeFn = func(fd *os.File, p []byte) (int, error) {
		if left >= len(p) {
			left -= len(p)
			return fd.Write(p)
		}
		m, err := fd.Write(p[:left])
		left -= m
		if err == nil {
			err = &fs.PathError{Op: "write", Path: fd.Name(), Err: syscall.ENOSPC}
		}
		return m, err
	}
}

// HealWrites undoes FailWritesAfter.
func HealWrites(f *File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeFn = (*os.File).Write
}
