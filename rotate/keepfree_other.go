//go:build !linux

package rotate

// freeSpace reports that the free space is not known: KeepFree works on
// Linux only.
func freeSpace(string) (int64, bool) { return 0, false }
