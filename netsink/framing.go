package netsink

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/level"
)

// Framing says how each entry is put on the wire. Its zero value means
// Lines.
type Framing string

const (
	// Lines sends each entry as one line ending in a newline: JSON lines,
	// for the tcp inputs of Fluent Bit, Vector and Logstash, or rsyslog.
	Lines Framing = "lines"
	// Octet sends each entry with RFC 6587 octet counting: its length in
	// decimal, a space, then the entry without its newline.
	Octet Framing = "octet"
	// RFC5424 sends each entry as the MSG of an RFC 5424 syslog message,
	// with a header giving its priority, the time, host name, app name and
	// process ID; octet counted (RFC 6587) on stream transports.
	RFC5424 Framing = "rfc5424"
	// RFC3164 sends each entry as the MSG of a BSD syslog message (RFC
	// 3164), for old relays; newline delimited on stream transports.
	RFC3164 Framing = "rfc3164"
)

var framings = []Framing{Lines, Octet, RFC5424, RFC3164}

// facilities maps syslog facility names to their codes.
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

const facilityNames = "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7"

// severityNames lists the level names a Config's Severity accepts.
const severityNames = level.Known

// severityOf returns the syslog severity a level name stands for.
func severityOf(name []byte) (int, bool) { return level.Parse(name) }

// A framer turns entries into frames. It is owned by one Conn and used
// under its lock.
type framer struct {
	framing  Framing
	stream   bool // frames are delimited (tcp, unix); a datagram is its own frame
	max      int  // largest payload: the message without length prefix or newline; 0 for no limit
	facility int
	severity int    // for entries with no recognisable level
	levelPat []byte // `"level":"`
	clock    zapcore.Clock
	static   []byte // rfc5424: " HOST APP PROCID MSGID - "; rfc3164: " HOST TAG[PID]: "
	hdr      []byte // scratch
}

// TruncationMarker ends every message netsink had to cut to
// Config.MaxMessageSize, so that a reader of the record sees that it was
// cut; the marker counts toward the size limit. Truncations are counted in
// Stats().Truncated.
const TruncationMarker = "[truncated]"

// appendFrame appends the frame of msg, an entry without its line ending,
// to dst. It reports whether msg had to be truncated to the size limit.
//
// Under Lines and RFC3164 the entry's control characters are escaped
// (appendEscaped), and on a stream a Lines entry that starts with a digit
// gets a space in front: rsyslog's imtcp reads a frame that starts with a
// digit as octet counted (measured: "52 x" makes it take the next 52
// bytes as one message, "2026-12-06 ..." makes it drop the rest of the
// connection). The limit applies to the message as sent: header, space,
// escaped entry and marker; the octet count and the newline do not count,
// as at rsyslog and syslog-ng.
func (f *framer) appendFrame(dst, msg []byte) ([]byte, bool) {
	hdr := f.header(msg)
	escape := f.framing == Lines || f.framing == RFC3164
	lead := 0
	if f.stream && f.framing == Lines && len(msg) > 0 && '0' <= msg[0] && msg[0] <= '9' {
		lead = 1
	}
	body := len(msg)
	if escape {
		body = escapedLen(msg)
	}
	marker := ""
	truncated := f.max > 0 && len(hdr)+lead+body > f.max
	if truncated {
		budget := f.max - len(hdr) - lead - len(TruncationMarker)
		if budget < 0 { // a header as long as the limit: the header, cut
			hdr, msg, lead = hdr[:cut(hdr, f.max)], nil, 0
		} else {
			n := budget
			if escape {
				n = escapedPrefix(msg, budget)
			}
			msg = msg[:cut(msg, n)]
			marker = TruncationMarker
		}
		body = len(msg)
		if escape {
			body = escapedLen(msg)
		}
	}
	if f.stream && (f.framing == Octet || f.framing == RFC5424) {
		dst = strconv.AppendInt(dst, int64(len(hdr)+lead+body+len(marker)), 10)
		dst = append(dst, ' ')
	}
	dst = append(dst, hdr...)
	if lead > 0 {
		dst = append(dst, ' ')
	}
	if escape && body != len(msg) { // else nothing to escape
		dst = appendEscaped(dst, msg)
	} else {
		dst = append(dst, msg...)
	}
	dst = append(dst, marker...)
	if f.stream && escape {
		dst = append(dst, '\n')
	}
	return dst, truncated
}

// header returns the syslog header for msg, or nil for Lines and Octet.
func (f *framer) header(msg []byte) []byte {
	if f.framing != RFC5424 && f.framing != RFC3164 {
		return nil
	}
	h := append(f.hdr[:0], '<')
	h = strconv.AppendInt(h, int64(f.facility*8+f.severityOf(msg)), 10)
	h = append(h, '>')
	now := f.clock.Now()
	if f.framing == RFC5424 {
		h = append(h, '1', ' ')
		h = now.AppendFormat(h, "2006-01-02T15:04:05.000000Z07:00")
	} else {
		h = now.AppendFormat(h, time.Stamp)
	}
	h = append(h, f.static...)
	f.hdr = h
	return h
}

// severityOf finds the entry's level (see level.Of): the first
// "level":"..." in a JSON entry (zap's JSON encoder, with the configured
// key), or the first of the leading tab-separated fields that names a level
// (zap's console encoder). Entries without one get the default severity.
func (f *framer) severityOf(msg []byte) int {
	if sev, ok := level.Of(msg, f.levelPat); ok {
		return sev
	}
	return f.severity
}

// cut returns the largest n <= max at which b can be cut without splitting
// a UTF-8 sequence; bytes that are not UTF-8 are cut at max.
func cut(b []byte, max int) int {
	if max >= len(b) {
		return len(b)
	}
	for n := max; n > 0 && n > max-utf8.UTFMax; n-- {
		if utf8.RuneStart(b[n]) {
			return n
		}
	}
	return max
}

// syslogField checks an RFC 5424 header field: printable US-ASCII without
// spaces, at most max bytes.
func syslogField(s string, max int) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > max:
		return "longer than " + strconv.Itoa(max) + " bytes"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return "not printable ASCII without spaces"
		}
	}
	return ""
}

// sanitize makes s a valid syslog header field, for the defaults taken from
// the host: invalid bytes become '_', and it is cut to max bytes.
func sanitize(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// Lengths RFC 5424 allows for its header fields.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
)

func isFraming(f Framing) bool {
	for _, x := range framings {
		if f == x {
			return true
		}
	}
	return false
}

func framingNames() string {
	names := make([]string, len(framings))
	for i, f := range framings {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
