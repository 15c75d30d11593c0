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
	tcpiBytesAcked   = 120 // __u64 bytes acknowledged, the SYN included (Linux 4.1)
	tcpiNotsentBytes = 144 // __u32 bytes written and not yet sent (Linux 4.6)
	tcpiSndWnd       = 228 // __u32 the peer's receive window (Linux 5.4)
	tcpInfoLen       = tcpiSndWnd + 4
)

// probePeer tells how far the collector has taken what was written to nc.
// For TCP: whether its kernel has acknowledged every byte, with a receive
// window still open (a collector whose window is closed has stopped
// reading), and how many bytes it has acknowledged, counted from the
// start of the connection (a baseline taken when it is made). For a unix
// stream socket: whether it has read every byte (the
// socket's output queue is empty). known is false when it cannot tell.
func probePeer(nc net.Conn) (p peerState) {
	rc, ok := rawConn(nc)
	if !ok {
		return p
	}
	switch nc.(type) {
	case *net.TCPConn:
		var info [tcpInfoLen]byte
		size := uint32(len(info))
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
				uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
		}); err != nil || errno != 0 || size < tcpiUnacked+4 {
			return p
		}
		ne := binary.NativeEndian
		p.known = true
		p.acked = ne.Uint32(info[tcpiUnacked:]) == 0
		if size >= tcpiBytesAcked+8 {
			p.knowsBytes, p.ackedBytes = true, ne.Uint64(info[tcpiBytesAcked:])
		}
		if size >= tcpiNotsentBytes+4 {
			p.acked = p.acked && ne.Uint32(info[tcpiNotsentBytes:]) == 0
		}
		if size >= tcpiSndWnd+4 {
			p.acked = p.acked && ne.Uint32(info[tcpiSndWnd:]) > 0
		}
	case *net.UnixConn:
		var outq int32
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			// SIOCOUTQ (TIOCOUTQ) on a unix socket: what the peer has not read.
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&outq)))
		}); err != nil || errno != 0 {
			return p
		}
		p.known = true
		p.read = outq == 0
		p.acked = p.read
	}
	return p
}
