package netsink

import (
	"strings"
	"testing"
)

// BenchmarkAppendFrame measures framing one zap-sized JSON entry, and one
// with newlines to escape, per framing: the escaping's cost on the flush
// path (never on Stream.Write).
func BenchmarkAppendFrame(b *testing.B) {
	entries := map[string]string{
		"json":      `{"level":"info","ts":1733500000.123,"msg":"request served","path":"/api/items","status":200,"bytes":5120,"user":"` + strings.Repeat("u", 60) + `"}`,
		"multiline": "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\nexit status 2" + strings.Repeat("\n\tframe", 10),
	}
	for _, framing := range framings {
		for name, e := range entries {
			b.Run(string(framing)+"/"+name, func(b *testing.B) {
				f := testFramer(framing, true, int(DefaultMaxMessageSize))
				msg := []byte(e)
				var dst []byte
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					dst, _ = f.appendFrame(dst[:0], msg)
				}
			})
		}
	}
}
