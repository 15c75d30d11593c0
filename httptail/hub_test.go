package httptail_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/httptail"
	"github.com/streamsink/streamsink/logsink"
)

func TestWriteWithoutClients(t *testing.T) {
	hub := httptail.New()
	n, err := hub.Write([]byte("nobody listens\n"))
	assert.NoError(t, err, "Write with no clients")
	assert.Equal(t, 15, n, "Write returns len(p)")
	assert.NoError(t, hub.Sync(), "Sync")
	assert.Zero(t, hub.Clients(), "Clients")
	require.NoError(t, hub.Close(), "Close")

	t.Run("write after close", func(t *testing.T) {
		n, err := hub.Write([]byte("late\n"))
		assert.ErrorIs(t, err, logsink.ErrClosed, "Write after Close")
		assert.Zero(t, n, "bytes written after Close")
		assert.ErrorIs(t, hub.Sync(), logsink.ErrClosed, "Sync after Close")
	})
	t.Run("close twice", func(t *testing.T) {
		assert.NoError(t, hub.Close(), "second Close")
	})
}

func TestWriteAllocatesNothing(t *testing.T) {
	hub := httptail.New()
	p := entry("info", 1)
	allocs := testing.AllocsPerRun(1000, func() { hub.Write(p) })
	assert.Zero(t, allocs, "allocations per Write with no clients")

	srv := serve(t, hub)
	for i := range 8 {
		drain(t, srv.URL+[...]string{"", "?level=info", "?contains=served", "?format=sse"}[i%4])
	}
	require.Equal(t, 8, hub.Clients(), "clients following")
	allocs = testing.AllocsPerRun(1000, func() { hub.Write(p) })
	assert.Zero(t, allocs, "allocations per Write with 8 clients")
}

// A client that keeps up gets every entry, in the order written, and no
// drop summary, when the writer stays below what the client can take.
func TestFastClientGetsEveryEntryInOrder(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	ndjson := follow(t, srv.URL, "")
	events := follow(t, srv.URL, "text/event-stream")

	const total = 5000
	// About 0.7 MB/s: far below what a loopback client reads.
	done := paced(hub, total, 10)
	for i := range total {
		line := ndjson.next(t)
		require.Equal(t, string(entry("info", i)), line+"\n", "ndjson entry %d", i)
	}
	require.Equal(t, "retry: 3000", events.next(t), "the SSE preamble")
	require.Equal(t, "", events.next(t), "the SSE preamble")
	for i := range total {
		line := events.next(t)
		require.Equal(t, "data: "+strings.TrimSuffix(string(entry("info", i)), "\n"), line, "sse event %d", i)
		require.Equal(t, "", events.next(t), "end of sse event %d", i)
	}
	within(t, done, "the writer finishing")
}

// A client that stops reading drops its own entries; a client that reads
// gets every entry meanwhile, and the writer never waits.
func TestStalledClientDoesNotHoldOthers(t *testing.T) {
	hub := httptail.New(httptail.WithBufferSize(64<<10), httptail.WithWriteTimeout(time.Second))
	srv := serve(t, hub)
	stall(t, srv, "/")
	fast := follow(t, srv.URL, "")
	require.Equal(t, 2, hub.Clients(), "clients following")

	const total = 20000 // 1.3 MB: more than the stalled client's buffers hold
	done := paced(hub, total, 50)
	for i := range total {
		line := fast.next(t)
		require.Equal(t, string(entry("info", i)), line+"\n", "fast client's entry %d", i)
	}
	within(t, done, "the writer finishing while a client is stalled")
}

// A client that falls behind finds a summary exactly where its gap is, and
// the summaries count every entry it missed.
func TestDropSummaryMarksTheGap(t *testing.T) {
	hub := httptail.New(httptail.WithBufferSize(32 << 10))
	srv := serve(t, hub)
	conn, body := stall(t, srv, "/")
	defer conn.Close()

	const total = 50000 // 3.3 MB, written at once: most of it is dropped
	for i := range total {
		hub.Write(entry("info", i))
	}
	// Read now, then close the hub: the client's stream writes what it
	// buffered, a last summary if drops are pending, and ends.
	lines := make(chan []string, 1)
	go func() { lines <- readAll(t, body) }()
	closeWithin(t, hub)
	var got []string
	select {
	case got = <-lines:
	case <-time.After(wait):
		t.Fatal("the stalled client's response did not end")
	}

	// gap returns the entries and bytes written after from and before to.
	gap := func(from, to int) (n, bytes uint64) {
		for i := from + 1; i < to; i++ {
			n++
			bytes += uint64(len(entry("info", i)))
		}
		return n, bytes
	}
	prev, summaries := -1, 0
	var missed, missedBytes uint64
	for _, line := range got {
		var e struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			N       *int   `json:"n"`
			Entries uint64 `json:"dropped_entries"`
			Bytes   uint64 `json:"dropped_bytes"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &e), "line %q", line)
		if e.Msg == httptail.DroppedMessage {
			assert.Equal(t, "warn", e.Level, "summary level")
			missed += e.Entries
			missedBytes += e.Bytes
			summaries++
			continue
		}
		require.NotNil(t, e.N, "line %q", line)
		n, b := gap(prev, *e.N)
		assert.Equal(t, n, missed, "entries missed between %d and %d, as the summaries say", prev, *e.N)
		assert.Equal(t, b, missedBytes, "bytes missed between %d and %d, as the summaries say", prev, *e.N)
		prev, missed, missedBytes = *e.N, 0, 0
	}
	n, b := gap(prev, total)
	assert.Equal(t, n, missed, "entries missed after the last one received (%d)", prev)
	assert.Equal(t, b, missedBytes, "bytes missed after the last one received (%d)", prev)
	assert.Positive(t, summaries, "summaries")
}

// A client stalled past the write timeout is cut off, and everything it
// held is freed.
func TestStalledClientIsCutOff(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hub := httptail.New(httptail.WithWriteTimeout(200*time.Millisecond), httptail.WithBufferSize(16<<10))
	left := leaves(hub)
	srv := serve(t, hub)
	conn, _ := stall(t, srv, "/")
	require.Equal(t, 1, hub.Clients(), "clients following")

	// Write until a write to the client has waited past the timeout.
	deadline := time.After(wait)
	for i := 0; ; i++ {
		hub.Write(entry("info", i))
		select {
		case <-left:
		case <-deadline:
			t.Fatalf("the stalled client was not cut off within %v", wait)
		default:
			continue
		}
		break
	}
	assert.Zero(t, hub.Clients(), "clients after the cut")
	conn.Close()
	closeWithin(t, hub)
	srv.Close()
}

func TestDisconnectFreesEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hub := httptail.New()
	left := leaves(hub)
	srv := serve(t, hub)
	for _, accept := range []string{"", "text/event-stream"} {
		f := follow(t, srv.URL, accept)
		hub.Write(entry("info", 1))
		f.next(t)
		f.stop()
		within(t, left, "the client ending after it went away")
		assert.Zero(t, hub.Clients(), "clients after the disconnect")
	}
	closeWithin(t, hub)
	srv.Close()
}

func TestCloseEndsEveryResponse(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	a := follow(t, srv.URL, "")
	b := follow(t, srv.URL+"?format=sse", "")
	for i := range 100 {
		hub.Write(entry("info", i))
	}
	closeWithin(t, hub)

	gotA := a.all(t)
	assert.ErrorIs(t, a.err, io.EOF, "ndjson response ends cleanly")
	assert.Len(t, gotA, 100, "every entry buffered before Close")
	gotB := b.all(t)
	assert.ErrorIs(t, b.err, io.EOF, "sse response ends cleanly")
	assert.Len(t, gotB, 2+2*100, "preamble and every event")

	_, err := hub.Write(entry("info", 100))
	assert.ErrorIs(t, err, logsink.ErrClosed, "Write after Close")
	resp, err := http.Get(srv.URL)
	require.NoError(t, err, "GET after Close")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "status after Close")
	assert.Contains(t, string(body), "closed", "body after Close")
}

// Close writes what a stalled client's stream still holds within the
// write timeout, then gives up on it: it does not hang.
func TestCloseWithStalledClientIsBounded(t *testing.T) {
	hub := httptail.New(httptail.WithWriteTimeout(300 * time.Millisecond))
	srv := serve(t, hub)
	stall(t, srv, "/")
	// 13 MB: more than the socket buffers take, so that the client's
	// stream is left waiting in a write.
	for i := range 200000 {
		hub.Write(entry("info", i))
	}
	start := time.Now()
	closeWithin(t, hub)
	t.Logf("Close took %v with a write timeout of 300ms", time.Since(start))
	assert.Zero(t, hub.Clients(), "clients after Close")
}

func TestFilters(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	warn := follow(t, srv.URL+"?level=warn", "")
	upper := follow(t, srv.URL+"?level=WARNING", "")
	served := follow(t, srv.URL+"?contains=%2Fapi%2Fitems", "")
	both := follow(t, srv.URL+"?level=error&contains=boom", "")

	lines := []string{
		`{"level":"debug","msg":"cache miss","path":"/api/items"}`,
		`{"level":"info","msg":"request served","path":"/api/items"}`,
		`{"level":"warn","msg":"slow upstream","path":"/api/users"}`,
		`{"level":"error","msg":"boom","path":"/api/items"}`,
		`{"level":"ERROR","msg":"quiet failure"}`,
		`{"level":"fatal","msg":"boom again"}`,
		`{"msg":"no level at all: boom"}`,
		"2024-05-06T07:08:09.000Z\tWARN\tconsole entry /api/items",
	}
	for _, l := range lines {
		hub.Write([]byte(l + "\n"))
	}
	closeWithin(t, hub)
	assert.Equal(t, []string{lines[2], lines[3], lines[4], lines[5], lines[6], lines[7]}, warn.all(t), "level=warn")
	assert.Equal(t, []string{lines[2], lines[3], lines[4], lines[5], lines[6], lines[7]}, upper.all(t), "level=WARNING")
	assert.Equal(t, []string{lines[0], lines[1], lines[3], lines[7]}, served.all(t), "contains=/api/items")
	assert.Equal(t, []string{lines[3], lines[5], lines[6]}, both.all(t), "level=error&contains=boom")
}

func TestLevelFilterUsesTheEncoderLevelKey(t *testing.T) {
	cfg := zap.NewProductionEncoderConfig()
	cfg.LevelKey = "severity"
	hub := httptail.New(httptail.WithEncoderConfig(cfg))
	srv := serve(t, hub)
	f := follow(t, srv.URL+"?level=error", "")
	hub.Write([]byte(`{"level":"error","severity":"info","msg":"an info entry"}` + "\n"))
	hub.Write([]byte(`{"severity":"error","msg":"an error entry"}` + "\n"))
	closeWithin(t, hub)
	assert.Equal(t, []string{`{"severity":"error","msg":"an error entry"}`}, f.all(t), "entries at error and above")
}

func TestEntriesWithoutNewline(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	nd := follow(t, srv.URL, "")
	ev := follow(t, srv.URL, "text/event-stream")
	hub.Write([]byte("no newline"))
	hub.Write([]byte("two\nlines\n"))
	hub.Write([]byte("crlf\r\n"))
	hub.Write([]byte("\n")) // empty: left out
	hub.Write([]byte("last\n"))
	closeWithin(t, hub)
	assert.Equal(t, []string{"no newline", "two", "lines", "crlf\r", "last"}, nd.all(t), "ndjson")
	assert.Equal(t, []string{"retry: 3000", "",
		"data: no newline", "",
		"data: two", "data: lines", "",
		"data: crlf", "",
		"data: last", ""}, ev.all(t), "sse: one event per entry, a data field per line")
}

func TestFormat(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	tests := []struct {
		name   string
		query  string
		accept string
		want   string
	}{
		{name: "curl", accept: "*/*", want: "application/x-ndjson"},
		{name: "no accept", want: "application/x-ndjson"},
		{name: "event source", accept: "text/event-stream", want: "text/event-stream; charset=utf-8"},
		{name: "browser", accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", want: "text/html; charset=utf-8"},
		{name: "q values", accept: "text/html;q=0.5, text/event-stream;q=0.9", want: "text/event-stream; charset=utf-8"},
		{name: "ndjson asked", accept: "application/x-ndjson", want: "application/x-ndjson"},
		{name: "unknown types", accept: "image/png", want: "application/x-ndjson"},
		{name: "format beats accept", query: "?format=ndjson", accept: "text/html", want: "application/x-ndjson"},
		{name: "format sse", query: "?format=sse", want: "text/event-stream; charset=utf-8"},
		{name: "format html", query: "?format=html", want: "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodHead, srv.URL+tt.query, nil)
			require.NoError(t, err, "request")
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, "HEAD")
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "status")
			assert.Equal(t, tt.want, resp.Header.Get("Content-Type"), "content type")
		})
	}
	assert.Zero(t, hub.Clients(), "HEAD follows nothing")
}

func TestBadRequests(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	tests := []struct {
		name   string
		method string
		query  string
		status int
		want   string
	}{
		{name: "unknown format", query: "?format=xml", status: 400, want: `format="xml": unknown format (want ndjson, sse or html)`},
		{name: "unknown level", query: "?level=loud", status: 400, want: `level="loud": unknown level (want emerg, alert, crit, err, warning, notice, info, debug, or a zap level)`},
		{name: "level twice", query: "?level=warn&level=info", status: 400, want: "level given 2 times"},
		{name: "contains twice", query: "?contains=a&contains=b", status: 400, want: "contains given 2 times"},
		{name: "bad escape", query: "?contains=%zz", status: 400, want: "bad query string"},
		{name: "post", method: http.MethodPost, status: 405, want: `method "POST" not allowed (want GET or HEAD)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, srv.URL+tt.query, nil)
			require.NoError(t, err, "request")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, "request")
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "status")
			assert.Contains(t, string(body), tt.want, "body")
			if tt.status == 405 {
				assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"), "Allow")
			}
		})
	}
	assert.Zero(t, hub.Clients(), "no client joined")
}

func TestMaxClients(t *testing.T) {
	hub := httptail.New(httptail.WithMaxClients(2))
	left := leaves(hub)
	srv := serve(t, hub)
	a := follow(t, srv.URL, "")
	follow(t, srv.URL, "text/event-stream")

	resp, err := http.Get(srv.URL)
	require.NoError(t, err, "third GET")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "third client's status")
	assert.Contains(t, string(body), "too many clients: 2 are following the log", "third client's body")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"), "Retry-After")

	page, err := http.Get(srv.URL + "?format=html")
	require.NoError(t, err, "page")
	page.Body.Close()
	assert.Equal(t, http.StatusOK, page.StatusCode, "the page itself is not a client")

	a.stop()
	within(t, left, "the first client leaving")
	c := follow(t, srv.URL, "")
	assert.Equal(t, http.StatusOK, c.resp.StatusCode, "a client after one left")
}

// basicChallenge is an Authorize error that asks for Basic credentials.
type basicChallenge struct{}

func (basicChallenge) Error() string     { return "log access needs a user and password" }
func (basicChallenge) Unwrap() error     { return httptail.ErrUnauthenticated }
func (basicChallenge) Challenge() string { return `Basic realm="logs"` }

func TestAuthorize(t *testing.T) {
	hub := httptail.New(httptail.WithAuthorize(func(r *http.Request) error {
		user, pass, ok := r.BasicAuth()
		switch {
		case !ok:
			return basicChallenge{}
		case user == "intern":
			return fmt.Errorf("%s may not read the logs", user)
		case pass != "s3cret":
			return fmt.Errorf("wrong password: %w", httptail.ErrUnauthenticated)
		}
		return nil
	}))
	srv := serve(t, hub)
	tests := []struct {
		name      string
		user      string
		pass      string
		query     string
		status    int
		body      string
		challenge string
	}{
		{name: "no credentials", status: 401, body: "log access needs a user and password", challenge: `Basic realm="logs"`},
		{name: "wrong password", user: "oncall", pass: "guess", status: 401, body: "wrong password: httptail: authentication required"},
		{name: "forbidden", user: "intern", pass: "s3cret", status: 403, body: "intern may not read the logs"},
		{name: "checked before the query", query: "?level=loud", status: 401, body: "log access needs", challenge: `Basic realm="logs"`},
		{name: "allowed", user: "oncall", pass: "s3cret", query: "?format=html", status: 200, body: "<!doctype html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tt.query, nil)
			require.NoError(t, err, "request")
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, "GET")
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "status")
			assert.Contains(t, string(body), tt.body, "body")
			assert.Equal(t, tt.challenge, resp.Header.Get("WWW-Authenticate"), "challenge")
		})
	}
	assert.Zero(t, hub.Clients(), "no client joined")
}

// Clients join and leave while several goroutines write: no race, no lost
// client, and Close ends all of them.
func TestWritesWhileClientsComeAndGo(t *testing.T) {
	hub := httptail.New(httptail.WithMaxClients(64))
	srv := serve(t, hub)
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				hub.Write(entry("info", w*1_000_000+i))
			}
		}()
	}
	for range 10 {
		f := follow(t, srv.URL+"?level=info", "")
		f.next(t)
		f.stop()
	}
	close(stop)
	writers.Wait()
}

func TestZapTee(t *testing.T) {
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = "" // deterministic lines
	hub := httptail.New(httptail.WithEncoderConfig(cfg))
	srv := serve(t, hub)
	f := follow(t, srv.URL+"?level=warn", "")
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(cfg), hub, zap.DebugLevel))
	logger.Info("request served", zap.Int("status", 200))
	logger.Warn("slow upstream", zap.Duration("took", 1500*time.Millisecond))
	require.NoError(t, logger.Sync(), "Sync")
	assert.Equal(t, `{"level":"warn","msg":"slow upstream","took":1.5}`, f.next(t), "the warning")
	closeWithin(t, hub)
	assert.Empty(t, f.all(t), "nothing else")
}

// wrapped hides the ResponseWriter's Flush and SetWriteDeadline, as a
// middleware that wraps it without an Unwrap method does.
type wrapped struct{ http.ResponseWriter }

// unwrappable is a middleware's writer that http.ResponseController can
// see through.
type unwrappable struct{ http.ResponseWriter }

func (u unwrappable) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestMiddlewareThatHidesTheWriter(t *testing.T) {
	hub := httptail.New()
	hidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.ServeHTTP(wrapped{w}, r)
	}))
	defer hidden.Close()
	seen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.ServeHTTP(unwrappable{w}, r)
	}))
	defer seen.Close()
	defer closeWithin(t, hub)

	resp, err := http.Get(hidden.URL)
	require.NoError(t, err, "GET through the hiding middleware")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "status")
	assert.Contains(t, string(body), "cannot flush", "body")
	assert.Contains(t, string(body), "Unwrap", "body")

	f := follow(t, seen.URL, "")
	hub.Write(entry("info", 1))
	assert.Equal(t, string(entry("info", 1)), f.next(t)+"\n", "an entry through a middleware with Unwrap")
}
