//go:build linux

package rotate

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// exchange swaps the files at a and b atomically (renameat2 with
// RENAME_EXCHANGE, Linux 3.15 and later): both names exist throughout, so
// nobody watching b ever finds it missing. It returns errNoExchange where
// the kernel or the file system cannot do it, and an error matching
// fs.ErrNotExist if either file is missing.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return errNoExchange
	default:
		return fmt.Errorf("exchange %q and %q: %w", a, b, err)
	}
}
