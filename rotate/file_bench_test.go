package rotate_test

import (
	"testing"
	"time"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

var benchLine = []byte(`{"level":"info","ts":1764158400.123,"msg":"request served","method":"GET","path":"/api/v1/items/42","status":200,"latency":0.0123,"request_id":"0f8c2a","bytes":5120}` + "\n")

// BenchmarkStreamWriteFollow writes to a rotating file with and without
// following the path, at the default flush interval (one Follow a second)
// and at the shortest (one a millisecond).
func BenchmarkStreamWriteFollow(b *testing.B) {
	for _, interval := range []time.Duration{time.Second, time.Millisecond} {
		for _, follow := range []rotate.Switch{rotate.On, rotate.Off} {
			name := "follow"
			if follow == rotate.Off {
				name = "nofollow"
			}
			b.Run(name+"/"+interval.String(), func(b *testing.B) {
				s, err := rotate.Open(rotate.Config{
					Filename:   logPath(b.TempDir()),
					MaxSize:    64 << 20,
					MaxBackups: 1,
					Follow:     follow,
				}, logsink.WithFlushInterval(interval))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(benchLine)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_, _ = s.Write(benchLine)
					}
				})
				b.StopTimer()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkFileFollow is the cost of one Follow: an fstat and a stat.
func BenchmarkFileFollow(b *testing.B) {
	f, err := rotate.NewFile(rotate.Config{Filename: logPath(b.TempDir())})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Follow(); err != nil {
			b.Fatal(err)
		}
	}
}
