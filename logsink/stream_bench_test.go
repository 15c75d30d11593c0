package logsink_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/streamsink/streamsink/logsink"
)

var benchLine = []byte(`{"level":"info","ts":1764158400.123,"msg":"request served","method":"GET","path":"/api/v1/items/42","status":200,"latency":0.0123,"request_id":"0f8c2a","bytes":5120}` + "\n")

// BenchmarkWrite measures Stream.Write into io.Discard, so what it shows is
// the stream's own cost: the copy, the lock and the flusher hand-off.
func BenchmarkWrite(b *testing.B) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		for _, size := range []int{64 << 10, 1 << 20} {
			name := fmt.Sprintf("%s/%s", policy, logsink.FormatSize(int64(size)))
			b.Run(name+"/serial", func(b *testing.B) {
				s := logsink.New(io.Discard, logsink.WithPolicy(policy), logsink.WithBufferSize(size))
				b.ReportAllocs()
				b.SetBytes(int64(len(benchLine)))
				for b.Loop() {
					_, _ = s.Write(benchLine)
				}
				b.StopTimer()
				_ = s.Close()
			})
			b.Run(name+"/parallel", func(b *testing.B) {
				s := logsink.New(io.Discard, logsink.WithPolicy(policy), logsink.WithBufferSize(size))
				b.ReportAllocs()
				b.SetBytes(int64(len(benchLine)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_, _ = s.Write(benchLine)
					}
				})
				b.StopTimer()
				_ = s.Close()
			})
		}
	}
}
