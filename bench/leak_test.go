package bench_test

import (
	"io"
	"log"
	"testing"

	"go.uber.org/goleak"
)

// TestMain silences the standard logger, on which zerolog's diode reports
// every set collision (thousands per benchmark), and fails the run if a
// flusher, flush loop or diode poller outlives its sink: every benchmark
// closes or stops its sink. Lumberjack's mill goroutine is the documented
// exception, one per file and never stopped.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}
