// Command spill shows a collector outage that costs the service neither
// latency nor entries. A service logs at a steady pace into a netsink
// stream with a spill on disk (Block policy, a small memory buffer); the
// collector goes away for two seconds in the middle; the stream moves what
// the collector cannot take to segment files and sends them, in order,
// once the collector is back. The program prints how long the slowest
// Write took before and during the outage, and what the collector ended
// up with. The collector is a small Go listener in the same program.
//
//	go run ./examples/spill
//	go run ./examples/spill -entries 100000 -down 5s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

func main() {
	entries := flag.Int("entries", 30000, "entries to log")
	down := flag.Duration("down", 2*time.Second, "how long the collector stays down")
	dir := flag.String("dir", "", "the spill directory (default: a temporary one, removed at the end)")
	flag.Parse()
	if err := run(*entries, *down, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "spill:", err)
		os.Exit(1)
	}
}

func run(entries int, down time.Duration, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "streamsink-spill-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	col := &collector{seen: map[int]int{}}
	if err := col.listen("127.0.0.1:0"); err != nil {
		return err
	}
	addr := col.ln.Addr().String()

	s, err := netsink.Open(netsink.Config{
		Address:      addr,
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 100 * time.Millisecond,
		Config: logsink.Config{
			BufferSize:    256 << 10, // a small memory buffer: the spill does the rest
			FlushInterval: 50 * time.Millisecond,
			SpillDir:      dir,
			SpillMaxSize:  256 << 20,
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("logging %d entries to %s, spilling to %s\n", entries, addr, dir)

	// A steady pace: a burst every millisecond, the whole run about 3s.
	perMS := max(entries/3000, 1)
	var slowBefore, slowDuring time.Duration
	var restart sync.WaitGroup
	outageStart, outageEnd := entries/3, entries/3+int(down/time.Millisecond)*perMS
	for i := range entries {
		if i == outageStart {
			col.stop()
			fmt.Printf("collector stopped after %d entries, for %s\n", i, down)
			restart.Go(func() {
				time.Sleep(down) // the outage
				if err := col.listen(addr); err != nil {
					fmt.Println("restart:", err)
				}
			})
		}
		start := time.Now()
		_, err := fmt.Fprintf(s, `{"level":"info","msg":"request served","n":%d}`+"\n", i)
		took := time.Since(start)
		if err != nil {
			return err
		}
		if i < outageStart {
			slowBefore = max(slowBefore, took)
		} else if i < outageEnd {
			slowDuring = max(slowDuring, took)
		}
		if i%perMS == perMS-1 {
			time.Sleep(time.Millisecond)
		}
	}
	restart.Wait()
	st := s.Stats()
	fmt.Printf("slowest Write before the outage: %s, during it: %s\n", slowBefore, slowDuring)
	fmt.Printf("went through the spill: %d entries\n", st.SpilledEntries)
	if err := s.Close(); err != nil {
		return err
	}
	col.waitFor(entries)
	col.stop()
	missing, dups := col.check(entries)
	fmt.Printf("collector received %d of %d entries, none missing: %v, in order: %v, duplicates: %d\n",
		len(col.seen), entries, missing == 0, col.ordered, dups)
	fmt.Printf("stream: %s\n", s.Stats())
	return nil
}

// collector counts the lines it receives, across restarts.
type collector struct {
	mu      sync.Mutex
	cond    *sync.Cond
	ln      net.Listener
	conns   []net.Conn
	wg      sync.WaitGroup
	seen    map[int]int // entry number to times received
	last    int
	ordered bool
}

func (c *collector) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.cond == nil {
		c.cond, c.last, c.ordered = sync.NewCond(&c.mu), -1, true
	}
	c.ln = ln
	c.mu.Unlock()
	c.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.conns = append(c.conns, nc)
			c.mu.Unlock()
			c.wg.Go(func() { c.read(nc) })
		}
	})
	return nil
}

func (c *collector) read(nc net.Conn) {
	defer nc.Close()
	sc := bufio.NewScanner(nc)
	for sc.Scan() {
		_, rest, ok := strings.Cut(sc.Text(), `"n":`)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(rest, "}"))
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.seen[n] == 0 && n < c.last {
			c.ordered = false // a first arrival behind a later entry
		}
		c.seen[n]++
		c.last = max(c.last, n)
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

// waitFor waits until n different entries have arrived, at most a minute.
func (c *collector) waitFor(n int) {
	deadline := time.AfterFunc(time.Minute, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cond.Broadcast()
	})
	defer deadline.Stop()
	start := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.seen) < n && time.Since(start) < time.Minute {
		c.cond.Wait()
	}
}

// check returns how many of the entries 0..n-1 never arrived and how many
// arrived more than once (sent again after a connection broke).
func (c *collector) check(n int) (missing, dups int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range n {
		switch k := c.seen[i]; {
		case k == 0:
			missing++
		case k > 1:
			dups += k - 1
		}
	}
	return missing, dups
}

// stop closes the listener and every connection, as a collector that exits
// does, and waits for its goroutines.
func (c *collector) stop() {
	c.mu.Lock()
	_ = c.ln.Close()
	for _, nc := range c.conns {
		_ = nc.Close()
	}
	c.conns = nil
	c.mu.Unlock()
	c.wg.Wait()
}
