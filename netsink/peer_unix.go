//go:build unix

package netsink

import (
	"net"
	"syscall"
)

// drainPeer reads and discards whatever the peer of a plain stream
// connection has sent, without waiting, and reports ErrPeerClosed if the
// peer has closed the connection, or the error that reset it.
func drainPeer(nc net.Conn) error {
	rc, ok := rawConn(nc)
	if !ok {
		return nil
	}
	var buf [512]byte
	var perr error
	err := rc.Read(func(fd uintptr) bool {
		for {
			n, err := syscall.Read(int(fd), buf[:])
			switch {
			case err == syscall.EINTR:
			case err == syscall.EAGAIN:
				return true
			case err != nil:
				perr = err
				return true
			case n == 0:
				perr = ErrPeerClosed
				return true
			}
		}
	})
	if err != nil {
		return err
	}
	return perr
}

// peekPeer reports whether the peer has sent data not read yet, without
// reading it, or ErrPeerClosed if it closed the connection.
func peekPeer(nc net.Conn) (bool, error) {
	rc, ok := rawConn(nc)
	if !ok {
		return false, nil
	}
	var buf [1]byte
	var pending bool
	var perr error
	err := rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK)
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
			case err != nil:
				perr = err
			case n == 0:
				perr = ErrPeerClosed
			default:
				pending = true
			}
			return true
		}
	})
	if err != nil {
		return false, err
	}
	return pending, perr
}

func rawConn(nc net.Conn) (syscall.RawConn, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}
