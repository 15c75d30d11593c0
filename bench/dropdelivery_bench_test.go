package bench_test

import (
	"fmt"
	"runtime"
	"testing"
)

// dropDeliveryProcs are the GOMAXPROCS values of BenchmarkDropDelivery:
// since Go 1.25 GOMAXPROCS follows a container's CPU limit, so most pods
// run with 1 to 4.
var dropDeliveryProcs = []int{1, 2, 8}

// BenchmarkDropDelivery is BenchmarkZap's stream-drop (zap with
// zapcore.NewCore into Stream(file, Drop)) at GOMAXPROCS 1, 2 and 8, in
// each mode: with the file in the page cache nothing stalls, so every
// entry dropped (dropped/op) is one the destination could have taken.
// parallel and parallel8 start GOMAXPROCS and 8×GOMAXPROCS goroutines, so
// procs=8/parallel8 runs 64 producers. GOMAXPROCS is set inside each run
// and restored after it.
func BenchmarkDropDelivery(b *testing.B) {
	sk := sinkNamed(b, "stream-drop")
	for _, procs := range dropDeliveryProcs {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			for _, m := range modes {
				b.Run(m.name, func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					benchZap(b, sk, m.parallelism, false)
				})
			}
		})
	}
}
