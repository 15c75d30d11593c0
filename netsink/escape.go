package netsink

// Escaping for the newline-framed framings (lines, rfc3164): a byte that
// a collector could take for the end of a message, or that would mislead
// whoever reads the record, never reaches the wire as it is, so one entry
// is one record whatever it holds (CWE-117, log forging).

// escapes reports, for each byte, whether lines and rfc3164 escape it:
// every C0 control character (NUL to US, 0x00 to 0x1F) except the tab.
// LF ends a frame, CR ends one for some receivers, NUL ends one for
// receivers set to NUL framing (rsyslog's AddtlFrameDelimiter) and a C
// string for others, and the rest (VT, FF, ESC, ...) can fake line breaks
// or terminal sequences in a viewer. The tab is kept: it separates the
// console encoder's fields, and no collector splits on it.
var escapes = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t'
	}
	return t
}()

// escapedLen is the length of b once escaped: each escaped byte takes four.
func escapedLen(b []byte) int {
	n := len(b)
	for _, c := range b {
		if escapes[c] {
			n += 3
		}
	}
	return n
}

// appendEscaped appends b to dst with each escaped byte written as rsyslog
// writes control characters: '#' and three octal digits ("#012" for LF,
// "#015" for CR, "#000" for NUL). '#' itself is not escaped, as rsyslog
// does not escape it: the escaping keeps records apart, it is not meant to
// be undone.
func appendEscaped(dst, b []byte) []byte {
	for {
		i := 0
		for i < len(b) && !escapes[b[i]] {
			i++
		}
		dst = append(dst, b[:i]...)
		if i == len(b) {
			return dst
		}
		c := b[i]
		dst = append(dst, '#', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
		b = b[i+1:]
	}
}

// escapedPrefix returns the length of the longest prefix of b whose
// escaped form takes at most budget bytes; it may end inside a UTF-8
// sequence (cut then moves it back).
func escapedPrefix(b []byte, budget int) int {
	used := 0
	for i, c := range b {
		w := 1
		if escapes[c] {
			w = 4
		}
		if used+w > budget {
			return i
		}
		used += w
	}
	return len(b)
}
