//go:build unix

package rotate

import (
	"os"
	"syscall"
)

// unlinked reports whether the file info describes, from its open
// descriptor, has no name left: it was deleted, and what is in it goes
// when the descriptor closes.
func unlinked(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
