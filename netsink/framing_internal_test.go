package netsink

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/streamsink/streamsink/internal/sinktest"
)

var frameTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

func testFramer(framing Framing, stream bool, max int) *framer {
	f := &framer{
		framing:  framing,
		stream:   stream,
		max:      max,
		facility: 16, // local0
		severity: 6,
		levelPat: []byte(`"level":"`),
		clock:    sinktest.NewMockClock(frameTime),
	}
	switch framing {
	case RFC5424:
		f.static = []byte(" host app 42 - - ")
	case RFC3164:
		f.static = []byte(" host app[42]: ")
	}
	return f
}

func TestAppendFrame(t *testing.T) {
	const entry = `{"level":"warn","msg":"hi"}`
	tests := []struct {
		desc    string
		framing Framing
		stream  bool
		max     int
		give    string
		want    string
		trunc   bool
	}{
		{desc: "lines", framing: Lines, stream: true, give: entry, want: entry + "\n"},
		{desc: "lines datagram", framing: Lines, give: entry, want: entry},
		{desc: "octet", framing: Octet, stream: true, give: entry, want: "27 " + entry},
		{desc: "octet datagram", framing: Octet, give: entry, want: entry},
		{
			desc: "rfc5424", framing: RFC5424, stream: true, give: entry,
			want: "78 <132>1 2024-05-06T07:08:09.123456Z host app 42 - - " + entry,
		},
		{
			desc: "rfc5424 datagram", framing: RFC5424, give: entry,
			want: "<132>1 2024-05-06T07:08:09.123456Z host app 42 - - " + entry,
		},
		{desc: "rfc3164", framing: RFC3164, stream: true, give: entry, want: "<132>May  6 07:08:09 host app[42]: " + entry + "\n"},
		{desc: "rfc3164 datagram", framing: RFC3164, give: entry, want: "<132>May  6 07:08:09 host app[42]: " + entry},
		{desc: "lines at the limit", framing: Lines, stream: true, max: 16, give: "abcdefghijklmnop", want: "abcdefghijklmnop\n"},
		{desc: "lines one past the limit", framing: Lines, stream: true, max: 16, give: "abcdefghijklmnopq", want: "abcde[truncated]\n", trunc: true},
		{desc: "octet at the limit", framing: Octet, stream: true, max: 16, give: "abcdefghijklmnop", want: "16 abcdefghijklmnop"},
		{desc: "octet one past the limit", framing: Octet, stream: true, max: 16, give: "abcdefghijklmnopq", want: "16 abcde[truncated]", trunc: true},
		{desc: "truncated at a rune", framing: Octet, stream: true, max: 16, give: "abcdéfghijklmnop", want: "15 abcd[truncated]", trunc: true},
		{desc: "datagram truncated", framing: Lines, max: 14, give: "€uro€uro€uro", want: "€[truncated]", trunc: true},
		{
			desc: "rfc5424 truncated keeps the header", framing: RFC5424, max: 64,
			give: entry, want: "<132>1 2024-05-06T07:08:09.123456Z host app 42 - - {\"[truncated]", trunc: true,
		},
		{desc: "lines escapes control characters", framing: Lines, stream: true, give: "a\nb\rc\x00d\te\x1bf\x7fg", want: "a#012b#015c#000d\te#033f\x7fg\n"},
		{desc: "lines datagram escapes too", framing: Lines, give: "a\nb", want: "a#012b"},
		{
			desc: "rfc3164 escapes control characters", framing: RFC3164, stream: true, give: "x\n<9>May  6 07:08:09 forged app: y",
			want: "<134>May  6 07:08:09 host app[42]: x#012<9>May  6 07:08:09 forged app: y\n",
		},
		{desc: "octet keeps every byte", framing: Octet, stream: true, give: "a\nb\x00c\r", want: "6 a\nb\x00c\r"},
		{
			desc: "rfc5424 keeps every byte", framing: RFC5424, stream: true, give: "a\nb\x00c",
			want: "56 <134>1 2024-05-06T07:08:09.123456Z host app 42 - - a\nb\x00c",
		},
		{desc: "lines escapes count toward the limit", framing: Lines, stream: true, max: 18, give: "abc\n\n\ndef", want: "abc#012#012#012def\n"},
		{desc: "an escape is never cut", framing: Lines, stream: true, max: 18, give: "abc\n\n\ndefg", want: "abc#012[truncated]\n", trunc: true},
		{desc: "lines leading digit", framing: Lines, stream: true, give: "52 <9>forged", want: " 52 <9>forged\n"},
		{desc: "lines leading digit without a space", framing: Lines, stream: true, give: "2024-05-06\tinfo", want: " 2024-05-06\tinfo\n"},
		{desc: "lines leading digit datagram", framing: Lines, give: "52 x", want: "52 x"},
		{desc: "octet leading digit", framing: Octet, stream: true, give: "52 x", want: "4 52 x"},
		{desc: "rfc3164 leading digit", framing: RFC3164, stream: true, give: "52 x", want: "<134>May  6 07:08:09 host app[42]: 52 x\n"},
		{desc: "leading space at the limit", framing: Lines, stream: true, max: 20, give: strings.Repeat("1", 19), want: " " + strings.Repeat("1", 19) + "\n"},
		{desc: "leading space one past the limit", framing: Lines, stream: true, max: 20, give: strings.Repeat("1", 20), want: " " + strings.Repeat("1", 8) + "[truncated]\n", trunc: true},
		{desc: "header past the limit", framing: RFC3164, max: 10, give: entry, want: "<132>May  ", trunc: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			f := testFramer(tt.framing, tt.stream, tt.max)
			got, trunc := f.appendFrame([]byte("prefix:"), []byte(tt.give))
			assert.Equal(t, "prefix:"+tt.want, string(got), "frame appended")
			assert.Equal(t, tt.trunc, trunc, "truncated")
		})
	}
}

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		give string
		want int
	}{
		{give: `{"level":"debug","msg":"x"}`, want: 7},
		{give: `{"level":"info","msg":"x"}`, want: 6},
		{give: `{"ts":1.5,"level":"warn","msg":"x"}`, want: 4},
		{give: `{"level":"error"}`, want: 3},
		{give: `{"level":"dpanic"}`, want: 2},
		{give: `{"level":"panic"}`, want: 2},
		{give: `{"level":"fatal"}`, want: 2},
		{give: `{"level":"WARN"}`, want: 4},   // zap's capital encoder, slog
		{give: `{"level":"notice"}`, want: 5}, // syslog names too
		{give: `{"msg":"no level"}`, want: 6},
		{give: `{"level":"chatty"}`, want: 6},
		{give: `{"level":"info`, want: 6},
		{give: `{"msg":"quoted \"level\":\"error\" is not a key","level":"debug"}`, want: 7},
		{give: "2024-05-06T07:08:09.000Z\tERROR\tboom", want: 3}, // console encoder
		{give: "WARN\tno time", want: 4},
		{give: "2024-05-06\tsvc\tmain.go:1\tINFO\tfourth field", want: 6},
		{give: "plain text", want: 6},
		{give: "", want: 6},
	}
	f := testFramer(RFC5424, true, 0)
	for _, tt := range tests {
		assert.Equal(t, tt.want, f.severityOf([]byte(tt.give)), "severity of %q", tt.give)
	}
	f.levelPat = []byte(`"lvl":"`)
	assert.Equal(t, 3, f.severityOf([]byte(`{"lvl":"error","level":"info"}`)), "a custom level key")
}

func TestCut(t *testing.T) {
	tests := []struct {
		give string
		max  int
		want string
	}{
		{give: "abc", max: 5, want: "abc"},
		{give: "abc", max: 3, want: "abc"},
		{give: "abc", max: 2, want: "ab"},
		{give: "aé", max: 2, want: "a"},
		{give: "a€", max: 3, want: "a"},
		{give: "a𝄞b", max: 4, want: "a"},
		{give: "a𝄞b", max: 5, want: "a𝄞"},
		{give: "\xff\xff\xff\xff\xff", max: 2, want: "\xff\xff"},
		{give: strings.Repeat("\x80", 8), max: 6, want: strings.Repeat("\x80", 6)},
	}
	for _, tt := range tests {
		b := []byte(tt.give)
		assert.Equal(t, tt.want, string(b[:cut(b, tt.max)]), "cut(%q, %d)", tt.give, tt.max)
	}
}

func TestBackoff(t *testing.T) {
	c := &Conn{backoffMin: 100 * time.Millisecond, backoffMax: time.Second}
	tests := []struct {
		give int // consecutive failures
		want time.Duration
	}{
		{give: 1, want: 100 * time.Millisecond},
		{give: 2, want: 200 * time.Millisecond},
		{give: 3, want: 400 * time.Millisecond},
		{give: 4, want: 800 * time.Millisecond},
		{give: 5, want: time.Second},
		{give: 60, want: time.Second},
		{give: 1 << 30, want: time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := c.backoff(tt.give)
			seen[d] = true
			assert.True(t, d >= tt.want/2 && d <= tt.want, "backoff(%d) = %s, want within [%s, %s]", tt.give, d, tt.want/2, tt.want)
		}
		assert.Greater(t, len(seen), 1, "backoff(%d) is jittered", tt.give)
	}
}

// FuzzFrame checks, for any entry, framing and limit, what the log
// injection defence promises: a newline-framed message holds no control
// character but the tab and ends in its only newline, and a lines message
// on a stream does not start with a digit; an octet count is the length
// of what follows; no message is longer than the limit; a cut message ends
// in the marker and stays valid UTF-8 if the entry was; an uncut one is
// the entry, escaped where the framing escapes.
func FuzzFrame(f *testing.F) {
	for _, seed := range []string{"", "x", "a\nb", "52 <9>forged", "é\r\n\x00", strings.Repeat("#012\n", 200), strings.Repeat("é", 400)} {
		f.Add(seed, uint8(0), true, uint16(0))
		f.Add(seed, uint8(3), false, uint16(480))
	}
	f.Fuzz(func(t *testing.T, msg string, framing uint8, stream bool, limit uint16) {
		fr := testFramer(framings[int(framing)%len(framings)], stream, 0)
		if limit > 0 {
			fr.max = MinMessageSize + int(limit)%2048
		}
		frame, truncated := fr.appendFrame(nil, []byte(msg))
		body := frame
		octet := stream && (fr.framing == Octet || fr.framing == RFC5424)
		escape := fr.framing == Lines || fr.framing == RFC3164
		if octet {
			sp := bytes.IndexByte(frame, ' ')
			n, err := strconv.Atoi(string(frame[:max(sp, 0)]))
			if sp < 0 || err != nil || n != len(frame)-sp-1 {
				t.Fatalf("octet count of %q: %q", msg, frame[:min(len(frame), 20)])
			}
			body = frame[sp+1:]
		}
		if stream && escape {
			if len(frame) == 0 || frame[len(frame)-1] != '\n' {
				t.Fatalf("%s frame of %q does not end in a newline", fr.framing, msg)
			}
			body = frame[:len(frame)-1]
		}
		if escape {
			for _, c := range body {
				if escapes[c] {
					t.Fatalf("%s message of %q holds %q", fr.framing, msg, c)
				}
			}
		}
		if stream && fr.framing == Lines && len(body) > 0 && '0' <= body[0] && body[0] <= '9' {
			t.Fatalf("lines message of %q starts with a digit", msg)
		}
		if fr.max > 0 && len(body) > fr.max {
			t.Fatalf("message of %d bytes, limit %d", len(body), fr.max)
		}
		hdr := fr.header([]byte(msg))
		if !bytes.HasPrefix(body, hdr) {
			t.Fatalf("%s message does not start with its header: %q", fr.framing, body)
		}
		content := body[len(hdr):]
		if stream && fr.framing == Lines && len(msg) > 0 && '0' <= msg[0] && msg[0] <= '9' {
			content = bytes.TrimPrefix(content, []byte{' '})
		}
		if !truncated {
			want := []byte(msg)
			if escape {
				want = appendEscaped(nil, want)
			}
			if !bytes.Equal(content, want) {
				t.Fatalf("%s message of %q is %q", fr.framing, msg, content)
			}
			return
		}
		if !bytes.HasSuffix(content, []byte(TruncationMarker)) {
			t.Fatalf("cut message without the marker: %q", content)
		}
		if utf8.ValidString(msg) && !utf8.Valid(content) {
			t.Fatalf("cut message of valid UTF-8 is not: %q", content)
		}
	})
}
