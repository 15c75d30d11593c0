package httptail_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/httptail"
)

// A client on a Unix socket is local: with default options it follows the
// log, as net/http reports such a peer.
func TestUnixSocketPeerIsAdmitted(t *testing.T) {
	dir, err := os.MkdirTemp("", "httptail") // short: a socket path has a limit of about 100 bytes
	require.NoError(t, err, "temporary directory")
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "logs.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err, "listen on %s", sock)

	hub := httptail.New()
	srv := &http.Server{Handler: hub}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		closeWithin(t, hub)
		require.NoError(t, srv.Close(), "closing the server")
		within(t, errDone(served), "the server stopping")
	})

	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	f := followWith(t, client, "http://localhost/", "")
	require.Equal(t, http.StatusOK, f.resp.StatusCode, "status over the Unix socket")
	hub.Write(entry("info", 1))
	assert.Equal(t, string(entry("info", 1)), f.next(t)+"\n", "an entry over the Unix socket")
}

// errDone turns the server's result into a channel closed when it comes.
func errDone(ch <-chan error) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		<-ch
		close(done)
	}()
	return done
}

// A client connecting to an address of this machine that is not loopback
// is another host as far as the Hub can tell: refused by default.
func TestNonLoopbackClientIsRefused(t *testing.T) {
	ip := nonLoopbackAddr(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	require.NoError(t, err, "listen on %s", ip)
	hub := httptail.New()
	srv := &http.Server{Handler: hub}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		closeWithin(t, hub)
		require.NoError(t, srv.Close(), "closing the server")
		within(t, errDone(served), "the server stopping")
	}()

	// A bounded wait: an admitted client would follow the log.
	client := &http.Client{Timeout: wait, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
	require.NoError(t, err, "request")
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	resp, err := client.Do(req)
	require.NoError(t, err, "GET from %s", ip)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "status from %s", ip)
	assert.Contains(t, string(body), "WithAuthorize", "body")
	assert.Zero(t, hub.Clients(), "no client joined")
}

// nonLoopbackAddr returns an address of this machine that is not loopback,
// or skips the test on a machine with none (the handler tests cover the
// check itself).
func nonLoopbackAddr(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err, "interface addresses")
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	t.Skip("this machine has no IPv4 address but loopback")
	return nil
}
