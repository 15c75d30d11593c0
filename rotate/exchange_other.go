//go:build !linux

package rotate

// exchange would swap the files at a and b atomically; only Linux has a
// system call for it, so elsewhere rotation renames, then renames the new
// file into place.
func exchange(a, b string) error { return errNoExchange }
