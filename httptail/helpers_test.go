package httptail_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/httptail"
)

// wait bounds every wait in these tests: a hang is a red test, not a
// stalled CI.
const wait = 10 * time.Second

// serve starts hub on a real listener. The cleanup closes the hub first,
// which ends every client's response, then the server.
func serve(t testing.TB, hub *httptail.Hub) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		closeWithin(t, hub)
		srv.Close()
	})
	return srv
}

// closeWithin closes hub and fails the test if that takes longer than wait.
func closeWithin(t testing.TB, hub *httptail.Hub) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- hub.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("hub.Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("hub.Close still waiting after %v", wait)
	}
}

// A follower is an HTTP client following the log: its lines arrive on
// lines, and err holds how the body ended (io.EOF for a clean end).
type follower struct {
	resp   *http.Response
	lines  chan string
	done   chan struct{}
	err    error
	cancel context.CancelFunc
	client *http.Client
}

// follow opens url with the given Accept header (none if empty) and reads
// its body line by line on a goroutine. It returns once the response
// headers are in, when the Hub has already added the client.
func follow(t testing.TB, url, accept string) *follower {
	t.Helper()
	return followWith(t, &http.Client{Transport: &http.Transport{}}, url, accept)
}

// followWith is follow with the given client.
func followWith(t testing.TB, client *http.Client, url, accept string) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err, "request")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		require.NoError(t, err, "GET %s", url)
	}
	f := &follower{resp: resp, lines: make(chan string, 1<<16), done: make(chan struct{}), cancel: cancel, client: client}
	go func() {
		defer close(f.done)
		defer close(f.lines)
		br := bufio.NewReaderSize(resp.Body, 1<<20)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				f.lines <- strings.TrimSuffix(line, "\n")
			}
			if err != nil {
				f.err = err
				return
			}
		}
	}()
	t.Cleanup(f.stop)
	return f
}

// stop ends the follower's request and waits for its reader.
func (f *follower) stop() {
	f.cancel()
	f.resp.Body.Close()
	<-f.done
	f.client.CloseIdleConnections()
}

// next returns the next line, failing the test if none comes within wait.
func (f *follower) next(t testing.TB) string {
	t.Helper()
	select {
	case line, ok := <-f.lines:
		if !ok {
			t.Fatalf("the response ended (%v) where a line was expected", f.err)
		}
		return line
	case <-time.After(wait):
		t.Fatalf("no line within %v", wait)
	}
	return ""
}

// all returns every line until the response ends, failing the test if it
// has not ended within wait.
func (f *follower) all(t testing.TB) []string {
	t.Helper()
	var out []string
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-f.lines:
			if !ok {
				return out
			}
			out = append(out, line)
		case <-deadline:
			t.Fatalf("the response has not ended within %v (%d lines so far)", wait, len(out))
		}
	}
}

// drain follows url and reads the body into a fixed buffer, allocating
// nothing per entry: a fast client that does not disturb allocation
// counts.
func drain(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err, "request")
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		require.NoError(t, err, "GET %s", url)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
		client.CloseIdleConnections()
	})
}

// stall opens a connection that asks to follow path, reads the response
// headers, and then reads nothing until read is called: a client that
// stopped reading. The receive buffer is made small so that the server's
// writes back up soon.
func stall(t testing.TB, srv *httptest.Server, path string) (conn net.Conn, body *bufio.Reader) {
	t.Helper()
	d := net.Dialer{Control: smallReceiveBuffer}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err, "dial")
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, srv.Listener.Addr())
	require.NoError(t, err, "request")
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)), "deadline")
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "response headers")
	require.Equal(t, http.StatusOK, resp.StatusCode, "status")
	require.NoError(t, conn.SetReadDeadline(time.Time{}), "deadline")
	return conn, bufio.NewReader(resp.Body)
}

// readAll reads r to its end on a goroutine and returns its lines, failing
// the test if that takes longer than wait.
func readAll(t testing.TB, r io.Reader) []string {
	t.Helper()
	type result struct {
		lines []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r)
		done <- result{strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), err}
	}()
	select {
	case res := <-done:
		require.NoError(t, res.err, "reading to the end")
		return res.lines
	case <-time.After(wait):
		t.Fatalf("reading did not end within %v", wait)
	}
	return nil
}

// entry returns a JSON entry at level lvl with sequence number n.
func entry(lvl string, n int) []byte {
	return fmt.Appendf(nil, `{"level":%q,"msg":"request served","n":%d,"path":"/api/items"}`+"\n", lvl, n)
}

// paced writes entries 0 to total-1 to hub on a goroutine, perTick of them
// each millisecond (the load's shape, not a synchronisation). The channel
// it returns is closed when the last is written.
func paced(hub *httptail.Hub, total, perTick int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for n := 0; n < total; n += perTick {
			<-tick.C
			for i := n; i < min(n+perTick, total); i++ {
				hub.Write(entry("info", i))
			}
		}
	}()
	return done
}

// leaves returns a channel that receives once each time a client of hub
// has ended.
func leaves(hub *httptail.Hub) <-chan struct{} {
	ch := make(chan struct{}, 64)
	httptail.OnLeave(hub, func() { ch <- struct{}{} })
	return ch
}

// within waits for ch, failing the test with what if it does not come
// within wait.
func within(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wait):
		t.Fatalf("%s: not within %v", what, wait)
	}
}
