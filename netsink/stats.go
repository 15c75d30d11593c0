package netsink

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// State is the state of a Conn's connection.
type State int32

const (
	// StateIdle means there is no connection and the next Write dials: before
	// the first Write, and right after a connection that had delivered
	// entries was lost.
	StateIdle State = iota
	// StateConnected means a connection is up.
	StateConnected
	// StateBackoff means there is no connection and Write does not dial
	// before Stats().NextDial: dials failed, or a connection was lost
	// before it delivered anything.
	StateBackoff
	// StateClosed means Close was called.
	StateClosed
)

var stateNames = [...]string{"idle", "connected", "backoff", "closed"}

// String returns "idle", "connected", "backoff" or "closed".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Stats counts what a Conn has done since NewConn. Entries are counted once
// their whole frame has been handed to the kernel: that is not delivery to
// the collector (see the package documentation).
//
// Stats implements expvar.Var: its String method returns JSON.
type Stats struct {
	State       State     `json:"state"`
	NextDial    time.Time `json:"next_dial,omitzero"` // in StateBackoff, when Write dials again
	Connects    uint64    `json:"connects"`           // successful dials, the first included
	Reconnects  uint64    `json:"reconnects"`         // successful dials after the first
	Disconnects uint64    `json:"disconnects"`        // connections lost: a failed write, or the peer closed
	DialErrors  uint64    `json:"dial_errors"`        // failed dials and TLS handshakes
	WriteErrors uint64    `json:"write_errors"`       // failed and timed-out writes, and peers found closed
	Entries     uint64    `json:"entries"`            // entries written whole to a connection (an entry sent again counts again)
	Bytes       uint64    `json:"bytes"`              // bytes written, framing included
	Resent      uint64    `json:"resent"`             // entries to send again: cut short by a lost connection, or (Block, tcp) not acknowledged by the collector's kernel when it was lost
	Truncated   uint64    `json:"truncated"`          // entries cut to MaxMessageSize
	Oversize    uint64    `json:"oversize"`           // datagrams the kernel refused as too large, dropped (and counted as lost)
	// LostEntries and LostBytes count the entries, and their bytes as the
	// stream gave them, possibly lost: written to a connection that then
	// ended before the collector was shown to have them (see the package
	// documentation), and oversize datagrams. The stream's
	// Stats().LostBytes includes LostBytes.
	LostEntries uint64 `json:"lost_entries"`
	LostBytes   uint64 `json:"lost_bytes"`
	// Unconfirmed is the bytes of entries written to the current
	// connection that the collector has not yet been shown to have: what
	// LostBytes would grow by if the connection ended now.
	Unconfirmed uint64 `json:"unconfirmed"`
}

// String returns the stats as a JSON object.
func (s Stats) String() string {
	b, err := json.Marshal(s)
	if err != nil {
		return "{}"
	}
	return string(b)
}

type counters struct {
	state                                                      atomic.Int32
	nextDial                                                   atomic.Int64 // unix nanoseconds; 0 for none
	connects, reconnects, disconnects, dialErrors, writeErrors atomic.Uint64
	entries, bytes, resent, truncated, oversize                atomic.Uint64
	lostEntries, lostBytes, unconfirmed                        atomic.Uint64
}

func (c *counters) snapshot() Stats {
	s := Stats{
		State:       State(c.state.Load()),
		Connects:    c.connects.Load(),
		Reconnects:  c.reconnects.Load(),
		Disconnects: c.disconnects.Load(),
		DialErrors:  c.dialErrors.Load(),
		WriteErrors: c.writeErrors.Load(),
		Entries:     c.entries.Load(),
		Bytes:       c.bytes.Load(),
		Resent:      c.resent.Load(),
		Truncated:   c.truncated.Load(),
		Oversize:    c.oversize.Load(),
		LostEntries: c.lostEntries.Load(),
		LostBytes:   c.lostBytes.Load(),
		Unconfirmed: c.unconfirmed.Load(),
	}
	if s.State == StateBackoff {
		if n := c.nextDial.Load(); n != 0 {
			s.NextDial = time.Unix(0, n)
		}
	}
	return s
}
