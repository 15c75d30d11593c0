//go:build unix

package rotate

import (
	"os"
	"syscall"
)

// chownLike gives f the owner and group of the file like, as lumberjack does
// for the files it creates, when they differ. It is best effort: a process
// that may not change them leaves f as it is.
func chownLike(f *os.File, like os.FileInfo) {
	want, ok := like.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	info, err := f.Stat()
	if err != nil {
		return
	}
	if have, ok := info.Sys().(*syscall.Stat_t); ok && have.Uid == want.Uid && have.Gid == want.Gid {
		return
	}
	_ = f.Chown(int(want.Uid), int(want.Gid))
}
