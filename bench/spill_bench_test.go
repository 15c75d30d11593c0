package bench_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// downWriter is a destination that is down: every Write fails, as a
// collector that refuses connections does.
type downWriter struct{}

func (downWriter) Write([]byte) (int, error) { return 0, syscall.ECONNREFUSED }

// BenchmarkSpill writes 256-byte lines into a stream whose destination is
// down, so that everything goes through the spill on disk: MB/s is the
// rate the spill takes entries at, to compare with BenchmarkPhysical's
// file-1MiB, the rate the disk takes 1 MiB writes at.
func BenchmarkSpill(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s, err := logsink.Open(downWriter{}, logsink.WithSpill(b.TempDir(), 8<<30),
				logsink.WithCloseTimeout(100*time.Millisecond))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(rawLine)))
			b.ReportAllocs()
			loop(b, m.parallelism, func() {
				if _, err := s.Write(rawLine); err != nil {
					b.Error(err)
				}
			})
			if err := s.Sync(); err != nil { // everything on disk, synced
				b.Fatal(err)
			}
			b.StopTimer()
			st := s.Stats()
			if err := s.Close(); !errors.Is(err, logsink.ErrLeftInSpill) {
				b.Fatalf("Close: %v", err)
			}
			if st.Dropped != 0 || st.SpilledEntries+0 < uint64(b.N)/2 {
				b.Fatalf("stats: %v", st)
			}
			b.ReportMetric(float64(st.SpilledEntries)/float64(b.N), "spilled/op")
		})
	}
}
