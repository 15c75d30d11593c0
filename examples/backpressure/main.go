// Command backpressure sends the same burst of log entries into a
// deliberately slow destination under three producers: Block, Drop, and a
// Node.js-style producer that waits for 'drain' whenever write says the
// buffer is past its high-water mark. For each it prints the wall time, the
// entries the destination received, the entries dropped and the slowest
// Write.
//
//	go run ./examples/backpressure
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// slowDisk takes bytes at a fixed rate, like a disk or a pipe reader that
// cannot keep up, and counts the lines it receives.
type slowDisk struct {
	rate  int // bytes per second
	mu    sync.Mutex
	lines int
}

func (d *slowDisk) Write(p []byte) (int, error) {
	time.Sleep(time.Duration(len(p)) * time.Second / time.Duration(d.rate))
	d.mu.Lock()
	d.lines += bytes.Count(p, []byte("\n"))
	d.mu.Unlock()
	return len(p), nil
}

func (d *slowDisk) received() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lines
}

var line = []byte(`{"level":"info","msg":"request served","method":"GET","path":"/api/v1/items","status":200}` + "\n")

type result struct {
	name            string
	wall, slowest   time.Duration
	delivered, drop uint64
}

func run(name string, entries, rate int, drainAware bool, opts ...logsink.Option) result {
	disk := &slowDisk{rate: rate}
	s := logsink.New(disk, append([]logsink.Option{
		logsink.WithBufferSize(64 << 10),
		logsink.WithHighWaterMark(16 << 10),
	}, opts...)...)

	start := time.Now()
	var slowest time.Duration
	for range entries {
		t := time.Now()
		if _, err := s.Write(line); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			os.Exit(1)
		}
		slowest = max(slowest, time.Since(t))
		if drainAware && s.NeedDrain() {
			<-s.Drained() // Node: if (!stream.write(chunk)) await once(stream, 'drain')
		}
	}
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		os.Exit(1)
	}
	return result{
		name:      name,
		wall:      time.Since(start),
		slowest:   slowest,
		delivered: uint64(disk.received()),
		drop:      s.Stats().Dropped,
	}
}

func main() {
	entries := flag.Int("entries", 10000, "entries in the burst")
	rate := flag.Int("rate", 2<<20, "destination speed in bytes per second")
	flag.Parse()

	fmt.Printf("%d entries of %d bytes into a destination taking %d KiB/s, 64 KiB buffer\n\n", *entries, len(line), *rate>>10)
	results := []result{
		run("block", *entries, *rate, false, logsink.WithPolicy(logsink.Block)),
		run("drop", *entries, *rate, false, logsink.WithPolicy(logsink.Drop)),
		run("block, waits for drain", *entries, *rate, true, logsink.WithPolicy(logsink.Block)),
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\twall time\tdelivered\tdropped\tslowest Write\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%v\t\n", r.name, r.wall.Round(time.Millisecond), r.delivered, r.drop, r.slowest.Round(time.Microsecond))
	}
	tw.Flush()
	fmt.Println("\nBlock loses nothing and makes the caller wait; Drop never waits and counts what it lost;")
	fmt.Println("a drain-aware producer pauses at the high-water mark instead of inside Write.")
}
