package netsink

import (
	"encoding/binary"
	"net"
	"syscall"
	"unsafe"
)

// Offsets in Linux's struct tcp_info (include/uapi/linux/tcp.h), a stable
// ABI that only grows at the end.
const (
	tcpiUnacked      = 24  // __u32 segments sent and not acknowledged
	tcpiNotsentBytes = 144 // __u32 bytes written and not yet sent (Linux 4.6)
	tcpiSndWnd       = 228 // __u32 the peer's receive window (Linux 5.4)
	tcpInfoLen       = tcpiSndWnd + 4
)

// peerCaughtUp reports whether the collector has taken everything written
// to nc. For TCP: every byte acknowledged, and the receive window the
// collector advertises back at the largest it advertised on the
// connection, which says its receive queue is drained, so the bytes were
// read, not just received by its kernel; maxWnd keeps that largest window.
// For a unix stream socket: nothing left unread in the collector's queue
// (the socket's output queue is empty). known is false when it cannot tell.
func peerCaughtUp(nc net.Conn, maxWnd *uint32) (caughtUp, known bool) {
	switch nc.(type) {
	case *net.TCPConn:
		rc, ok := rawConn(nc)
		if !ok {
			return false, false
		}
		var info [tcpInfoLen]byte
		size := uint32(len(info))
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
				uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
		}); err != nil || errno != 0 || size < tcpiUnacked+4 {
			return false, false
		}
		ne := binary.NativeEndian
		acked := ne.Uint32(info[tcpiUnacked:]) == 0 && (size < tcpiNotsentBytes+4 || ne.Uint32(info[tcpiNotsentBytes:]) == 0)
		if size < tcpiSndWnd+4 { // an old kernel: acknowledged is all it tells
			return acked, true
		}
		wnd := ne.Uint32(info[tcpiSndWnd:])
		*maxWnd = max(*maxWnd, wnd)
		return acked && wnd == *maxWnd, true
	case *net.UnixConn:
		rc, ok := rawConn(nc)
		if !ok {
			return false, false
		}
		var outq int32
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			// SIOCOUTQ (TIOCOUTQ) on a unix socket: what the peer has not read.
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&outq)))
		}); err != nil || errno != 0 {
			return false, false
		}
		return outq == 0, true
	}
	return false, false
}
