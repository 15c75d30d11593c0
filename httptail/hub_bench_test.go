package httptail_test

import (
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/streamsink/streamsink/httptail"
)

// BenchmarkWrite measures Hub.Write with 0, 1 and 8 clients following over
// real connections and reading as fast as they can (entries they cannot
// take are dropped for them, as in production).
func BenchmarkWrite(b *testing.B) {
	p := entry("info", 123456)
	b.Run("io.Discard", func(b *testing.B) { // the floor, for the ratio
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			io.Discard.Write(p)
		}
	})
	for _, n := range []int{0, 1, 8} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			hub := hubWithClients(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				hub.Write(p)
			}
		})
	}
}

// BenchmarkWriteParallel is BenchmarkWrite with writers on every CPU.
func BenchmarkWriteParallel(b *testing.B) {
	p := entry("info", 123456)
	for _, n := range []int{0, 1, 8} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			hub := hubWithClients(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					hub.Write(p)
				}
			})
		})
	}
}

// hubWithClients returns a Hub that n clients follow, reading as fast as
// they can.
func hubWithClients(b *testing.B, n int) *httptail.Hub {
	hub := httptail.New(httptail.WithMaxClients(n + 1))
	srv := serve(b, hub)
	for range n {
		drain(b, srv.URL)
	}
	return hub
}

// BenchmarkStalledClient measures what a client that stopped reading (a
// TCP connection that never reads) costs the writer, against its peer, a
// second client that keeps up: one fast client follows in every run,
// "fast+fast" adds another and "fast+stalled" adds the stalled one. Each op
// is one Write, paced in bursts of 100 entries with a short sleep after
// each so that fast clients keep up. It reports the writer's own time: the
// time spent in Write per entry (write-ns/op), the p99.9 and the slowest
// Write; ns/op includes the pacing.
func BenchmarkStalledClient(b *testing.B) {
	for _, second := range []string{"", "fast", "stalled"} {
		name := "fast"
		if second != "" {
			name += "+" + second
		}
		b.Run(name, func(b *testing.B) {
			hub := httptail.New(httptail.WithWriteTimeout(time.Hour)) // the stalled client stays for the whole run
			srv := serve(b, hub)
			drain(b, srv.URL)
			switch second {
			case "fast":
				drain(b, srv.URL)
			case "stalled":
				conn, _ := stall(b, srv, "/")
				b.Cleanup(func() { conn.Close() }) // before the hub closes, so Close does not wait for it
			}
			p := entry("info", 123456)
			lat := make([]time.Duration, 0, b.N)
			var total time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%100 == 99 {
					time.Sleep(100 * time.Microsecond) // pacing: the load's shape, not a synchronisation
				}
				t0 := time.Now()
				hub.Write(p)
				d := time.Since(t0)
				total += d
				lat = append(lat, d)
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "write-ns/op")
			b.ReportMetric(float64(lat[len(lat)*999/1000]), "p99.9-ns")
			b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
		})
	}
}
