//go:build !unix

package rotate

import "os"

// unlinked would report whether a file has no name left; without link
// counts, it cannot tell.
func unlinked(os.FileInfo) bool { return false }
