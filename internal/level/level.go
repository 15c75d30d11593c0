package level

import "bytes"

// Syslog severities, most severe first.
const (
	Emergency = 0
	Alert     = 1
	Critical  = 2
	Error     = 3
	Warning   = 4
	Notice    = 5
	Info      = 6
	Debug     = 7
)

// Known lists the names Parse accepts, for error messages.
const Known = "emerg, alert, crit, err, warning, notice, info, debug, or a zap level"

// A Name is a level name and the severity it stands for.
type Name struct {
	Name     string `json:"name"`
	Severity int    `json:"severity"`
}

// names maps level names, zap's (also slog's) and syslog's, to severities.
// zap's come first: they are the names most entries carry.
var names = [...]Name{
	{"debug", Debug}, {"info", Info}, {"warn", Warning}, {"error", Error},
	{"dpanic", Critical}, {"panic", Critical}, {"fatal", Critical},
	{"trace", Debug}, {"informational", Info}, {"notice", Notice}, {"warning", Warning}, {"err", Error},
	{"crit", Critical}, {"critical", Critical}, {"alert", Alert}, {"emerg", Emergency}, {"emergency", Emergency},
}

// longest is the length of the longest name, "informational".
const longest = len("informational")

// Names returns every name Parse accepts, in lower case, with its severity.
func Names() []Name {
	out := make([]Name, len(names))
	copy(out, names[:])
	return out
}

// Parse returns the severity a level name stands for, matching the name in
// any case.
func Parse(name []byte) (severity int, ok bool) {
	if len(name) > longest {
		return 0, false
	}
	for _, n := range names {
		if equalFold(n.Name, name) {
			return n.Severity, true
		}
	}
	return 0, false
}

// equalFold reports whether b is s, a lower-case ASCII name, in any case.
func equalFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// Pattern returns the bytes that open a JSON string member named key,
// `"key":"`, for Of. zap's and slog's JSON encoders write no space around
// the colon.
func Pattern(key string) []byte {
	return []byte(`"` + key + `":"`)
}

// Of finds an entry's level. In a JSON entry (one that starts with '{') it
// is the first member that pattern (see Pattern) opens, whose string value
// names a level; zap's JSON encoder writes the level before any field, so
// that is the entry's own level. In other entries it is the first of the
// first three tab-separated fields that names a level, where zap's console
// encoder puts it. ok is false if the entry has no level Of can read.
func Of(entry, pattern []byte) (severity int, ok bool) {
	if len(entry) > 0 && entry[0] == '{' {
		if len(pattern) == 0 {
			return 0, false
		}
		i := bytes.Index(entry, pattern)
		if i < 0 {
			return 0, false
		}
		rest := entry[i+len(pattern):]
		j := bytes.IndexByte(rest, '"')
		if j <= 0 {
			return 0, false
		}
		return Parse(rest[:j])
	}
	rest := entry
	for range 3 {
		field := rest
		i := bytes.IndexByte(rest, '\t')
		if i >= 0 {
			field, rest = rest[:i], rest[i+1:]
		}
		if sev, ok := Parse(field); ok {
			return sev, true
		}
		if i < 0 {
			break
		}
	}
	return 0, false
}
