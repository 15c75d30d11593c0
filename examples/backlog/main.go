// Command backlog shows debug logs that are written only when they matter:
// an HTTP service logs at info level, each request keeps its own recent
// debug entries in memory (logsink.RequestBacklog), and the one request
// that fails writes its debug entries, marked "backlog":true, right before
// its error. The other requests' debug entries are never written.
//
//	go run ./examples/backlog
//	go run ./examples/backlog -requests 1000 -fail 617
//
// It serves its requests on a loopback port, logs JSON to standard output,
// and prints on standard error what the log holds.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

func main() {
	requests := flag.Int("requests", 200, "requests to serve")
	fail := flag.Int("fail", 137, "the order id whose request fails")
	flag.Parse()
	if err := run(*requests, *fail); err != nil {
		fmt.Fprintln(os.Stderr, "backlog:", err)
		os.Exit(1)
	}
}

func run(requests, fail int) error {
	// The log goes to standard output; a tally reads the same lines to
	// report what was written.
	var tally tally
	stream := logsink.New(io.MultiWriter(os.Stdout, &tally))
	core := logsink.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), stream, zapcore.InfoLevel,
		// Debug entries are held, not written; an error writes them out.
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel}),
		// All requests' backlogs together hold at most 4 MiB.
		logsink.WithRequestBacklogLimit(4<<20),
	)
	logger := zap.New(core).With(zap.String("service", "orders"))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		// A backlog of its own for this request: 64 KiB at most, nothing
		// allocated until its first debug entry, freed with reqLog.
		reqLog := logger.With(logsink.RequestBacklog(64<<10), zap.String("req", r.PathValue("id")))
		id, err := strconv.Atoi(r.PathValue("id"))
		reqLog.Debug("parsed path", zap.Int("id", id), zap.Error(err))
		reqLog.Debug("cache lookup", zap.String("key", "order/"+r.PathValue("id")), zap.Bool("hit", false))
		reqLog.Debug("db query", zap.String("sql", "SELECT * FROM orders WHERE id = $1"), zap.Duration("took", 3*time.Millisecond))
		if id == fail {
			reqLog.Error("order has no customer", zap.Int("status", http.StatusInternalServerError))
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		reqLog.Info("served", zap.Int("status", http.StatusOK))
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	logger.Info("listening", zap.String("addr", ln.Addr().String()))
	failed := load(ln.Addr().String(), requests)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	if err := stream.Close(); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "\nrequests: %d, failed: %d\n", requests, failed)
	fmt.Fprintf(os.Stderr, "info lines: %d, error lines: %d\n", tally.levels["info"], tally.levels["error"])
	fmt.Fprintf(os.Stderr, "debug lines written: %d, all marked backlog: %t, by request: %s\n",
		tally.levels["debug"], tally.marked == tally.levels["debug"], byRequest(tally.debugs))
	fmt.Fprintf(os.Stderr, "debug lines written before each error: %s\n", byRequest(tally.beforeError))
	return nil
}

// load sends requests GET requests, 8 at a time, and returns how many
// failed.
func load(addr string, requests int) int {
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	var mu sync.Mutex
	failed := 0
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range next {
				resp, err := client.Get(fmt.Sprintf("http://%s/orders/%d", addr, id))
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				if !ok {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	for id := range requests {
		next <- id
	}
	close(next)
	wg.Wait()
	return failed
}

// tally reads the JSON lines the stream writes and counts them.
type tally struct {
	mu      sync.Mutex
	partial []byte
	levels  map[string]int
	marked  int            // debug lines carrying "backlog":true
	debugs  map[string]int // debug lines written, by request
	// beforeError is, for each request that logged an error, how many of
	// its debug lines were written before the error.
	beforeError map[string]int
}

func (t *tally) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.levels == nil {
		t.levels, t.debugs, t.beforeError = map[string]int{}, map[string]int{}, map[string]int{}
	}
	t.partial = append(t.partial, p...)
	for {
		line, rest, ok := bytes.Cut(t.partial, []byte("\n"))
		if !ok {
			break
		}
		t.count(line)
		t.partial = rest
	}
	t.partial = append([]byte(nil), t.partial...) // let the written bytes go
	return len(p), nil
}

func (t *tally) count(text []byte) {
	var line struct {
		Level   string `json:"level"`
		Req     string `json:"req"`
		Backlog bool   `json:"backlog"`
	}
	if json.Unmarshal(text, &line) != nil {
		return
	}
	t.levels[line.Level]++
	switch line.Level {
	case "debug":
		t.debugs[line.Req]++
		if line.Backlog {
			t.marked++
		}
	case "error":
		t.beforeError[line.Req] = t.debugs[line.Req]
	}
}

// byRequest returns the requests of m, sorted, with their counts.
func byRequest(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " req=%s:%d", k, m[k])
	}
	return strings.TrimSpace(b.String())
}
