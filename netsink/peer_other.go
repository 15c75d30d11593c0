//go:build !unix

package netsink

import "net"

// drainPeer would find a peer that closed the connection; on this system
// the first write after that finds it instead.
func drainPeer(net.Conn) error { return nil }

// peekPeer would report data waiting from the peer; on this system it
// reports none.
func peekPeer(net.Conn) (bool, error) { return false, nil }
