//go:build !linux

package netsink

import "net"

// probePeer would tell how far the collector has taken what was written to
// nc; on this system it cannot tell.
func probePeer(net.Conn) peerState { return peerState{} }
