package httptail_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/httptail"
)

// followTLS serves hub over TLS, with HTTP/2 if h2 is set and the server
// configured by configure, and follows it.
func followTLS(t *testing.T, hub *httptail.Hub, h2 bool, configure func(*http.Server)) *follower {
	t.Helper()
	srv := httptest.NewUnstartedServer(hub)
	srv.EnableHTTP2 = h2
	configure(srv.Config)
	srv.StartTLS()
	t.Cleanup(func() {
		closeWithin(t, hub)
		srv.Close()
	})
	f := followWith(t, srv.Client(), srv.URL, "")
	require.Equal(t, map[bool]int{false: 1, true: 2}[h2], f.resp.ProtoMajor, "protocol")
	return f
}

// A client that is idle for longer than the write timeout keeps following:
// the deadline covers each write, not the time between them (HTTP/2 would
// reset the stream when a deadline passed). Over HTTP/1.1 and HTTP/2.
func TestIdleClientOutlivesWriteTimeout(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name := map[bool]string{false: "http1", true: "http2"}[h2]
		t.Run(name, func(t *testing.T) {
			hub := httptail.New(httptail.WithWriteTimeout(100 * time.Millisecond))
			f := followTLS(t, hub, h2, func(*http.Server) {})

			hub.Write(entry("info", 0))
			assert.Equal(t, string(entry("info", 0)), f.next(t)+"\n", "first entry")
			// Stay idle past the write timeout: this wait is the subject,
			// not a synchronisation.
			time.Sleep(300 * time.Millisecond)
			hub.Write(entry("info", 1))
			assert.Equal(t, string(entry("info", 1)), f.next(t)+"\n", "an entry after an idle spell")

			closeWithin(t, hub)
			assert.Empty(t, f.all(t), "nothing more")
			assert.ErrorIs(t, f.err, io.EOF, "the response ends cleanly")
		})
	}
}

// The server's WriteTimeout would end a follower's response when it
// passed (HTTP/2 resets the stream); the Hub's own deadlines replace it.
func TestServerTimeoutsDoNotEndFollowers(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name := map[bool]string{false: "http1", true: "http2"}[h2]
		t.Run(name, func(t *testing.T) {
			hub := httptail.New()
			// Long enough for a TLS handshake on a busy machine under
			// -race: the timeouts also bound the handshake.
			f := followTLS(t, hub, h2, func(s *http.Server) {
				s.ReadTimeout = 500 * time.Millisecond
				s.WriteTimeout = 500 * time.Millisecond
			})
			// Let both timeouts pass: this wait is the subject, not a
			// synchronisation.
			time.Sleep(time.Second)
			hub.Write(entry("info", 1))
			assert.Equal(t, string(entry("info", 1)), f.next(t)+"\n", "an entry after the server's timeouts passed")
		})
	}
}
