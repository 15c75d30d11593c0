// Command httptail shows a service's log live over HTTP: a small API logs
// every request through zap into a rotating file and, through a tee, into
// an httptail.Hub mounted at /debug/logs on a separate admin listener.
// With default options the Hub serves local clients only (loopback or a
// Unix socket) and refuses a Host that is not an IP address or localhost;
// see docs/httptail.md to open it to others.
//
//	go run ./examples/httptail -for 1m   # then open http://localhost:6060/debug/logs
//	curl -N 'http://localhost:6060/debug/logs?level=warn'
//
// While it runs, a traffic generator calls the API (every tenth request is
// slow and logs a warning, every 25th fails and logs an error), and the
// program follows its own log the way curl and a browser would, printing a
// few lines of each format: NDJSON, NDJSON filtered with level=warn, and
// Server-Sent Events. After -for (or on Ctrl-C) it closes the hub, which
// ends every client's response, shuts the servers down and closes the file.
// Without -dir the file is in a temporary directory, removed at exit.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/httptail"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func main() {
	addr := flag.String("addr", "localhost:6060", "admin listener for /debug/logs (the Hub serves local clients only)")
	dir := flag.String("dir", "", "directory for service.log (default: a temporary directory, removed at exit)")
	runFor := flag.Duration("for", 2*time.Second, "how long to serve before shutting down; 0 for until Ctrl-C")
	flag.Parse()
	if err := start(*addr, *dir, *runFor); err != nil {
		fmt.Fprintln(os.Stderr, "httptail:", err)
		os.Exit(1)
	}
}

// start runs the service with its log in dir, or in a temporary directory
// that it removes at the end, so that a run leaves nothing behind.
func start(addr, dir string, runFor time.Duration) error {
	if dir != "" {
		return run(addr, dir, runFor)
	}
	tmp, err := os.MkdirTemp("", "streamsink-httptail-*")
	if err != nil {
		return err
	}
	return errors.Join(run(addr, tmp, runFor), os.RemoveAll(tmp))
}

func run(addr, dir string, runFor time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, runFor)
		defer cancel()
	}

	// The service's log: a rotating file, and the hub beside it.
	filename := filepath.Join(dir, "service.log")
	file, err := rotate.Open(rotate.Config{Filename: filename}, logsink.WithPolicy(logsink.Drop))
	if err != nil {
		return err
	}
	fmt.Printf("writing to %s\n", filename)
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(encCfg)
	hub := httptail.New(httptail.WithEncoderConfig(encCfg))
	logger := zap.New(zapcore.NewTee(
		logsink.NewCore(enc, file, zap.InfoLevel),
		zapcore.NewCore(enc, hub, zap.DebugLevel), // the hub may see more than the file
	)).Named("api")

	// The public API, and the admin listener with the live log.
	api, apiURL, err := listen("127.0.0.1:0", apiHandler(logger))
	if err != nil {
		return err
	}
	adminMux := http.NewServeMux()
	adminMux.Handle("/debug/logs", hub)
	admin, adminURL, err := listen(addr, adminMux)
	if err != nil {
		return err
	}
	logURL := adminURL + "/debug/logs"
	fmt.Printf("live log: %s (open it in a browser, or curl -N it)\n", logURL)

	var wg sync.WaitGroup
	trafficCtx, stopTraffic := context.WithCancel(ctx)
	wg.Go(func() { traffic(trafficCtx, apiURL) })

	// Follow the log as curl -N and a browser's EventSource would.
	for _, c := range []struct {
		prefix, query, accept string
		lines                 int
	}{
		{"ndjson> ", "", "", 3},
		{"level=warn> ", "?level=warn", "", 2},
		{"sse> ", "", "text/event-stream", 4},
	} {
		if err := tail(ctx, logURL+c.query, c.accept, c.prefix, c.lines); err != nil {
			fmt.Println("client:", err)
		}
	}

	// A web page using DNS rebinding reaches the port under its own name:
	// the Hub refuses any Host that is not an IP address or localhost.
	if err := rebound(ctx, logURL); err != nil {
		fmt.Println("client:", err)
	}

	<-ctx.Done()
	stopTraffic()
	wg.Wait()
	logger.Info("shutting down")
	// Close the hub first: a client following the log ends only when the
	// hub closes or the client goes away, and Shutdown waits for it.
	if err := hub.Close(); err != nil {
		return err
	}
	fmt.Println("hub closed: every client's response ended")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(admin.Shutdown(shutdownCtx), api.Shutdown(shutdownCtx), file.Close())
	fmt.Printf("service.log stats: %s\n", file.Stats())
	return err
}

// listen serves h on addr and returns the server and its base URL.
func listen(addr string, h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// apiHandler serves /api/items, logging each request.
func apiHandler(logger *zap.Logger) http.Handler {
	var n int
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		status := http.StatusOK
		switch {
		case i%25 == 0:
			status = http.StatusBadGateway
			logger.Error("upstream failed", zap.Int("request", i), zap.Error(errors.New("inventory: connection reset")))
		case i%10 == 0:
			logger.Warn("slow upstream", zap.Int("request", i), zap.String("upstream", "inventory"), zap.Duration("took", 1500*time.Millisecond))
		default:
			logger.Debug("cache hit", zap.Int("request", i))
		}
		w.WriteHeader(status)
		logger.Info("request served", zap.Int("request", i), zap.String("method", r.Method),
			zap.String("path", r.URL.Path), zap.Int("status", status), zap.Duration("took", time.Since(start)))
	})
}

// traffic calls the API every few milliseconds until ctx is done.
func traffic(ctx context.Context, apiURL string) {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		resp, err := client.Get(apiURL + "/api/items")
		if err != nil {
			continue
		}
		resp.Body.Close()
	}
}

// tail follows url as a client would, prints its first n lines, and goes
// away.
func tail(ctx context.Context, url, accept, prefix string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	fmt.Printf("GET %s (Accept: %q): %s, %s\n", url, accept, resp.Status, resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	for i := 0; i < n; {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line = strings.TrimSuffix(line, "\n"); line != "" {
			fmt.Println(prefix + line)
			i++
		}
	}
	return nil
}

// rebound asks for the log as a DNS-rebinding page would, under a name
// that is not the service's, and prints the answer.
func rebound(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Host = "attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	fmt.Printf("GET %s (Host: attacker.example): %s, %s", url, resp.Status, body)
	return err
}
