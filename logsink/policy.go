package logsink

import (
	"fmt"
	"strings"
)

// Policy decides what Write does when the buffer has no room for an entry.
// Its text form is "block" or "drop", so it decodes from YAML, JSON and URL
// query parameters.
type Policy int

const (
	// Block makes Write wait for room: nothing is lost, and a slow
	// destination slows the caller. Waiting writers are served in the
	// order they came. WithBlockTimeout bounds the wait.
	Block Policy = iota
	// Drop makes Write refuse an entry that does not fit, or that would take
	// room a waiting writer (WriteKeep, NewCore's warnings) is queued for,
	// at once. The caller
	// is never slowed; every dropped entry is counted in Stats and reported
	// through OnDrop.
	Drop
)

// String returns "block" or "drop".
func (p Policy) String() string {
	switch p {
	case Block:
		return "block"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// MarshalText implements encoding.TextMarshaler.
func (p Policy) MarshalText() ([]byte, error) {
	switch p {
	case Block, Drop:
		return []byte(p.String()), nil
	}
	return nil, fmt.Errorf("logsink: unknown policy %d", int(p))
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts "block" and
// "drop" in any case.
func (p *Policy) UnmarshalText(text []byte) error {
	switch strings.ToLower(string(text)) {
	case "block":
		*p = Block
	case "drop":
		*p = Drop
	default:
		return fmt.Errorf("logsink: unknown policy %q (want block or drop)", text)
	}
	return nil
}
