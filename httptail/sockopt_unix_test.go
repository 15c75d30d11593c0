//go:build unix

package httptail_test

import "syscall"

// smallReceiveBuffer shrinks a socket's receive buffer before it connects,
// so that a client that stops reading backs the server's writes up after
// a few KiB instead of megabytes.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	if cerr != nil {
		return cerr
	}
	return err
}
