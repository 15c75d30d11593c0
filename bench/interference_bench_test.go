package bench_test

import (
	"os"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkInterference logs the zap entry into io.Discard on one
// goroutine while another goroutine does nothing, spins, or writes 256 KiB
// to a page-cache file every millisecond (what a stream's flusher does at
// 256 MB/s). On a machine whose CPUs are truly independent the three rows
// are alike; where they are not (hyperthreads, a busy host), the rows show
// what work on the other CPU costs the producer, which a background flusher
// pays and BufferedWriteSyncer, writing inline, does not.
func BenchmarkInterference(b *testing.B) {
	for _, bg := range []string{"idle", "spin", "file-256MBps"} {
		b.Run(bg, func(b *testing.B) {
			stop := make(chan struct{})
			done := make(chan struct{})
			f := openFile(b, b.TempDir())
			go func() {
				defer close(done)
				background(bg, f, stop)
			}()
			l := zap.New(zapcore.NewCore(newEncoder(), zapcore.AddSync(discardWriter{}), zapcore.InfoLevel))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				logRequest(l)
			}
			b.StopTimer()
			close(stop)
			<-done
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// background does bg until stop is closed.
func background(bg string, f *os.File, stop <-chan struct{}) {
	chunk := make([]byte, 256<<10)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	spin := 0
	for written := 0; ; {
		select {
		case <-stop:
			return
		default:
		}
		switch bg {
		case "idle":
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		case "spin":
			for i := range 1000 {
				spin += i
			}
		default:
			<-tick.C
			if _, err := f.Write(chunk); err != nil {
				return
			}
			if written += len(chunk); written >= 64<<20 { // keep the file small
				_ = f.Truncate(0)
				_, _ = f.Seek(0, 0)
				written = 0
			}
		}
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
