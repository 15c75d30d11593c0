// Command slog logs with the standard library's log/slog through a
// buffered stream with the Drop policy into a deliberately slow disk, and
// shows what NewSlogHandler keeps: every warning, and a summary record
// wherever info records were dropped.
//
//	go run ./examples/slog [-dir DIR] [-text]
//
// Without -dir it writes in a new temporary directory and removes it at
// the end.
//
// Four goroutines serve a burst of fake requests, logging one info record
// each and a warning every 500; the file takes only 4 MB/s, so the 64 KiB
// buffer fills and info records are dropped. Warnings wait for room (at
// most the keep timeout, 1s) instead. The program then reads the file back
// and prints what is in it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// slowDisk is a file that takes bytes at a fixed rate, like a disk or a
// network volume that cannot keep up with the service.
type slowDisk struct {
	f    *os.File
	rate int // bytes per second
}

func (d slowDisk) Write(p []byte) (int, error) {
	time.Sleep(time.Duration(len(p)) * time.Second / time.Duration(d.rate))
	return d.f.Write(p)
}

func (d slowDisk) Sync() error  { return d.f.Sync() }
func (d slowDisk) Close() error { return d.f.Close() }

func main() {
	dir := flag.String("dir", "", "directory for app.log, kept (default: a new temporary directory, removed at the end)")
	text := flag.Bool("text", false, "slog's text format instead of JSON")
	flag.Parse()
	if err := run(*dir, *text); err != nil {
		fmt.Fprintln(os.Stderr, "slog:", err)
		os.Exit(1)
	}
}

func run(dir string, text bool) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "streamsink-slog-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp) // an example leaves nothing behind
		dir = tmp
	}
	name := filepath.Join(dir, "app.log")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	fmt.Printf("writing to %s through a disk that takes 4 MB/s\n", name)

	// A real service would open rotate.Open(rotate.Config{...},
	// logsink.WithPolicy(logsink.Drop)) or stdout.New(...) the same way.
	stream := logsink.New(slowDisk{f: f, rate: 4 << 20},
		logsink.WithPolicy(logsink.Drop), // never make a request wait for the log
		logsink.WithBufferSize(64<<10),
	)
	logger := slog.New(logsink.NewSlogHandler(stream, &logsink.SlogOptions{
		Text: text,
		// Keep: slog.LevelWarn is the default: warnings and errors wait
		// for room (WriteKeep); info and debug may be dropped.
	})).With("service", "orders")
	slog.SetDefault(logger) // slog.Info and log.Printf now go here too

	const goroutines, requests = 4, 5000
	var (
		mu          sync.Mutex
		slowestWarn time.Duration
		wg          sync.WaitGroup
	)
	start := time.Now()
	for g := range goroutines {
		wg.Go(func() {
			req := logger.WithGroup("req")
			for i := range requests {
				req.Info("request served", "worker", g, "n", i, "path", "/api/orders", "status", 200)
				if i%500 == 499 {
					t := time.Now()
					req.Warn("slow upstream", "worker", g, "n", i, "took", 1500*time.Millisecond)
					mu.Lock()
					slowestWarn = max(slowestWarn, time.Since(t))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slog.Info("shutting down")
	if err := stream.Close(); err != nil { // flushes, syncs and closes the file
		return err
	}

	c, err := count(name, text)
	if err != nil {
		return err
	}
	st := stream.Stats()
	warnings := goroutines * requests / 500
	fmt.Printf("logged %d info records and %d warnings in %s; the slowest Warn call took %s\n",
		goroutines*requests, warnings, elapsed.Round(time.Millisecond), slowestWarn.Round(time.Millisecond))
	fmt.Printf("in the file: %d info records, %d warnings, %d drop summaries accounting for %d dropped records\n",
		c.info, c.warn, c.summaries, c.dropped)
	fmt.Printf("every warning kept: %v; summaries account for every drop: %v\n",
		c.warn == warnings, c.dropped == st.Dropped)
	fmt.Printf("first summary: %s\n", c.firstSummary)
	fmt.Printf("first warning: %s\n", c.firstWarn)
	fmt.Printf("stats: %s\n", st)
	return nil
}

// counts is what the log file holds.
type counts struct {
	info, warn, summaries int
	dropped               uint64
	firstSummary          string
	firstWarn             string
}

// count reads the log back, one record per line.
func count(name string, text bool) (counts, error) {
	var c counts
	f, err := os.Open(name)
	if err != nil {
		return c, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var rec struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			Dropped uint64 `json:"dropped_entries"`
		}
		if text {
			rec.Level, rec.Msg, rec.Dropped = parseText(line)
		} else if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return c, fmt.Errorf("%q: %w", line, err)
		}
		switch {
		case rec.Msg == logsink.DroppedMessage:
			c.summaries++
			c.dropped += rec.Dropped
			if c.firstSummary == "" {
				c.firstSummary = line
			}
		case rec.Level == "INFO" && rec.Msg == "request served":
			c.info++
		case rec.Level == "WARN":
			c.warn++
			if c.firstWarn == "" {
				c.firstWarn = line
			}
		}
	}
	return c, sc.Err()
}

// parseText picks the level, the message and dropped_entries out of a line
// of slog's text format, enough for the records this program writes.
func parseText(line string) (level, msg string, dropped uint64) {
	if _, rest, ok := strings.Cut(line, "level="); ok {
		level, _, _ = strings.Cut(rest, " ")
	}
	if _, rest, ok := strings.Cut(line, `msg="`); ok {
		msg, _, _ = strings.Cut(rest, `"`)
	} else if _, rest, ok := strings.Cut(line, "msg="); ok {
		msg, _, _ = strings.Cut(rest, " ")
	}
	if _, rest, ok := strings.Cut(line, "dropped_entries="); ok {
		n, _, _ := strings.Cut(rest, " ")
		fmt.Sscan(n, &dropped)
	}
	return level, msg, dropped
}
