package netsink

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/streamsink/streamsink/internal/confkit"
)

// MessageSize is a message size limit in bytes, the type of
// Config.MaxMessageSize.
//
// Zero means different things in Go and in text, and both are kept so that
// no existing config changes meaning:
//
//   - In Go, the zero value means the default (DefaultMaxMessageSize on
//     tcp and unix, DefaultMaxDatagramSize on udp and unixgram), as for
//     every Config field; no limit is NoMessageLimit (-1).
//   - In text (JSON, YAML, URLs), "0" or "none" means no limit, and the
//     default is had by leaving the key out. Other values are sizes such
//     as 8KiB or 65536.
type MessageSize int

// NoMessageLimit, as Config.MaxMessageSize, sends every entry whole however
// long it is. Its text form is 0.
const NoMessageLimit MessageSize = -1

// DefaultMaxMessageSize is the size limit on tcp and unix when
// MaxMessageSize is zero: 8096 bytes, the most rsyslog takes as one
// message with its default maxMessageSize (measured with rsyslog 8.2302;
// its documentation says 8k), counting the syslog header and not the octet
// count or the newline. Past its limit rsyslog cuts the message and reads
// the rest as a new message, which an attacker controlling a field can fill
// with a forged syslog header; so the default must fit the smallest common
// collector default. Raise it together with the collector's own limit
// (see the package documentation).
const DefaultMaxMessageSize MessageSize = 8096

// UnmarshalText implements encoding.TextUnmarshaler: a size (8KiB, 65536),
// or 0 or "none" for NoMessageLimit.
func (m *MessageSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if strings.EqualFold(s, "none") {
		*m = NoMessageLimit
		return nil
	}
	n, err := confkit.ParseSize(s)
	switch {
	case err != nil:
		return err
	case n > math.MaxInt32:
		return fmt.Errorf("invalid size %q: too large", s)
	case n == 0:
		*m = NoMessageLimit
	default:
		*m = MessageSize(n)
	}
	return nil
}

// MarshalText implements encoding.TextMarshaler: 0 for NoMessageLimit, else
// the size in the largest binary unit that divides it (8KiB).
func (m MessageSize) MarshalText() ([]byte, error) {
	switch {
	case m == NoMessageLimit:
		return []byte("0"), nil
	case m < 0:
		return nil, fmt.Errorf("invalid message size %d", int(m))
	}
	return []byte(confkit.FormatSize(int64(m))), nil
}

// String returns the text form: 0 for NoMessageLimit, else the size
// ("8KiB").
func (m MessageSize) String() string {
	b, err := m.MarshalText()
	if err != nil {
		return strconv.Itoa(int(m))
	}
	return string(b)
}

// UnmarshalJSON reads a JSON string in the text form, or a JSON number of
// bytes (0 for no limit); null leaves m unchanged.
func (m *MessageSize) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	switch {
	case s == "null":
		return nil
	case strings.HasPrefix(s, `"`):
		text, err := strconv.Unquote(s)
		if err != nil {
			return err
		}
		return m.UnmarshalText([]byte(text))
	}
	return m.UnmarshalText([]byte(s)) // a number is a size in bytes
}
