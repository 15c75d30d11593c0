package httptail_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/httptail"
)

// Addresses and hosts for the handler tests.
const (
	loopback  = "127.0.0.1:40000"
	outsider  = "203.0.113.5:40000" // TEST-NET-3
	localHost = "127.0.0.1:6060"
)

// request is one request to a Hub's handler, as a client would send it.
type request struct {
	method     string // GET if empty
	target     string // "/?format=html" if empty: the page, which follows nothing
	remoteAddr string // as is: "" is a Unix-socket peer
	host       string // localHost if empty
	header     map[string]string
}

// do serves req with hub and returns the response and its body.
func (req request) do(t *testing.T, hub *httptail.Hub) (*http.Response, string) {
	t.Helper()
	method, target, host := req.method, req.target, req.host
	if method == "" {
		method = http.MethodGet
	}
	if target == "" {
		target = "/?format=html"
	}
	if host == "" {
		host = localHost
	}
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = req.remoteAddr
	r.Host = host
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	hub.ServeHTTP(w, r)
	resp := w.Result()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body")
	return resp, string(b)
}

// brief cuts a body for a failure message.
func brief(body string) string {
	if len(body) > 120 {
		return body[:120] + "..."
	}
	return body
}

// Without WithAuthorize, only a client on this host reads the log: by the
// connection's address, never by a header a client or proxy sets.
func TestLocalClientsOnlyByDefault(t *testing.T) {
	hub := httptail.New()
	defer closeWithin(t, hub)
	tests := []struct {
		name   string
		give   request
		status int
		want   string
	}{
		{name: "remote", give: request{remoteAddr: outsider}, status: 403, want: "local clients only"},
		{name: "remote claiming loopback in X-Forwarded-For", status: 403, want: "WithAuthorize",
			give: request{remoteAddr: outsider, header: map[string]string{"X-Forwarded-For": "127.0.0.1"}}},
		{name: "remote claiming loopback in X-Real-IP", status: 403, want: "WithAuthorize",
			give: request{remoteAddr: outsider, header: map[string]string{"X-Real-IP": "127.0.0.1"}}},
		{name: "remote claiming loopback in Forwarded", status: 403, want: "WithAuthorize",
			give: request{remoteAddr: outsider, header: map[string]string{"Forwarded": "for=127.0.0.1"}}},
		{name: "private network", give: request{remoteAddr: "10.0.0.7:40000"}, status: 403, want: "local clients only"},
		{name: "IPv4-mapped remote", give: request{remoteAddr: "[::ffff:203.0.113.5]:40000"}, status: 403, want: "local clients only"},
		{name: "unparsable address", give: request{remoteAddr: "somewhere"}, status: 403, want: "local clients only"},
		{name: "loopback", give: request{remoteAddr: loopback}, status: 200},
		{name: "all of 127/8", give: request{remoteAddr: "127.3.2.1:40000"}, status: 200},
		{name: "IPv6 loopback", give: request{remoteAddr: "[::1]:40000"}, status: 200},
		{name: "IPv4-mapped loopback", give: request{remoteAddr: "[::ffff:127.0.0.1]:40000"}, status: 200},
		{name: "Unix-socket peer, @", give: request{remoteAddr: "@"}, status: 200},
		{name: "Unix-socket peer, empty", give: request{remoteAddr: ""}, status: 200},
		{name: "loopback through a proxy", status: 403, want: "came through a proxy (it carries X-Forwarded-For)",
			give: request{remoteAddr: loopback, header: map[string]string{"X-Forwarded-For": "203.0.113.5"}}},
		{name: "loopback through a sidecar that says Via", status: 403, want: "came through a proxy (it carries Via)",
			give: request{remoteAddr: loopback, header: map[string]string{"Via": "1.1 sidecar"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got := tt.give.do(t, hub)
			assert.Equal(t, tt.status, resp.StatusCode, "status (body %q)", brief(got))
			assert.Contains(t, got, tt.want, "body")
		})
	}
	assert.Zero(t, hub.Clients(), "no client joined")
}

// WithAuthorize replaces the local check: the service's own check alone
// decides, wherever the client connects from.
func TestAuthorizeOpensBeyondLocalClients(t *testing.T) {
	open := httptail.New(httptail.WithAuthorize(func(*http.Request) error { return nil }))
	defer closeWithin(t, open)
	resp, got := request{remoteAddr: outsider}.do(t, open)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a remote client admitted by Authorize (body %q)", got)
	resp, got = request{remoteAddr: outsider, header: map[string]string{"X-Forwarded-For": "198.51.100.1"}}.do(t, open)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a proxied client admitted by Authorize (body %q)", got)

	closed := httptail.New(httptail.WithAuthorize(func(*http.Request) error { return httptail.ErrUnauthenticated }))
	defer closeWithin(t, closed)
	resp, _ = request{remoteAddr: loopback}.do(t, closed)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a local client refused by Authorize")
}

// A request whose Host is a name the service did not list is refused
// whatever Authorize says: it is how DNS rebinding reaches a local port.
func TestHostCheck(t *testing.T) {
	everyone := httptail.WithAuthorize(func(*http.Request) error { return nil })
	plain := httptail.New(everyone)
	defer closeWithin(t, plain)
	listed := httptail.New(everyone, httptail.WithAllowedHosts("logs.internal.example", "Admin.Example:8443", ""))
	defer closeWithin(t, listed)
	tests := []struct {
		host       string
		plain      int
		listed     int
		wantInBody string
	}{
		{host: "attacker.example", plain: 403, listed: 403, wantInBody: `Host "attacker.example" is not allowed`},
		{host: "attacker.example:6060", plain: 403, listed: 403, wantInBody: "WithAllowedHosts"},
		{host: "localhost", plain: 200, listed: 200},
		{host: "localhost:6060", plain: 200, listed: 200},
		{host: "LocalHost.:6060", plain: 200, listed: 200},
		{host: "127.0.0.1:6060", plain: 200, listed: 200},
		{host: "[::1]:6060", plain: 200, listed: 200},
		{host: "192.0.2.10", plain: 200, listed: 200},
		{host: "localhost.attacker.example", plain: 403, listed: 403},
		{host: "logs.internal.example", plain: 403, listed: 200},
		{host: "LOGS.internal.example.:443", plain: 403, listed: 200},
		{host: "admin.example", plain: 403, listed: 200},
		{host: "evil.logs.internal.example", plain: 403, listed: 403},
		{host: "logs.internal.example.attacker.example", plain: 403, listed: 403},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for _, hub := range []struct {
				name string
				hub  *httptail.Hub
				want int
			}{{"without allowed hosts", plain, tt.plain}, {"with allowed hosts", listed, tt.listed}} {
				resp, got := request{remoteAddr: loopback, host: tt.host}.do(t, hub.hub)
				assert.Equal(t, hub.want, resp.StatusCode, "%s: status (body %q)", hub.name, brief(got))
				assert.Contains(t, got, tt.wantInBody, "%s: body", hub.name)
			}
		})
	}

	t.Run("an empty Host", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host, r.RemoteAddr = "", loopback
		w := httptest.NewRecorder()
		plain.ServeHTTP(w, r)
		assert.Equal(t, http.StatusForbidden, w.Code, "status")
	})
	t.Run("a long Host is not echoed", func(t *testing.T) {
		long := strings.Repeat("a", 900<<10) + ".example"
		resp, got := request{remoteAddr: loopback, host: long}.do(t, plain)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "status")
		assert.Less(t, len(got), 200, "body length")
	})
}

// A browser marks a request a page of another origin sends; such a
// request is refused, so that no web page can hold the Hub's client slots,
// and none is answered with a CORS header.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	hub := httptail.New()
	defer closeWithin(t, hub)
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{name: "another origin", header: map[string]string{"Origin": "http://attacker.example"}, status: 403},
		{name: "another port", header: map[string]string{"Origin": "http://127.0.0.1:8080"}, status: 403},
		{name: "an opaque origin", header: map[string]string{"Origin": "null"}, status: 403},
		{name: "the same origin", header: map[string]string{"Origin": "http://127.0.0.1:6060"}, status: 200},
		{name: "cross-site fetch", header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, status: 403},
		{name: "same-site fetch", header: map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}, status: 403},
		{name: "a link followed from another site", header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, status: 200},
		{name: "the page's own event stream", header: map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}, status: 200},
		{name: "typed in the address bar", header: map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got := request{remoteAddr: loopback, header: tt.header}.do(t, hub)
			assert.Equal(t, tt.status, resp.StatusCode, "status (body %q)", brief(got))
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no CORS")
		})
	}
}

// Every response, refusals and errors too, tells the browser that no
// other origin may use it.
func TestEveryResponseIsSameOrigin(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	f := follow(t, srv.URL, "")
	assert.Equal(t, "same-origin", f.resp.Header.Get("Cross-Origin-Resource-Policy"), "a follower's response")
	assert.Empty(t, f.resp.Header.Get("Access-Control-Allow-Origin"), "a follower's response: no CORS")

	tests := []struct {
		name   string
		give   request
		status int
	}{
		{name: "the page", give: request{remoteAddr: loopback}, status: 200},
		{name: "head", give: request{method: http.MethodHead, target: "/", remoteAddr: loopback}, status: 200},
		{name: "a remote client", give: request{remoteAddr: outsider}, status: 403},
		{name: "a foreign Host", give: request{remoteAddr: loopback, host: "attacker.example"}, status: 403},
		{name: "a bad parameter", give: request{target: "/?level=loud", remoteAddr: loopback}, status: 400},
		{name: "a POST", give: request{method: http.MethodPost, remoteAddr: loopback}, status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got := tt.give.do(t, hub)
			require.Equal(t, tt.status, resp.StatusCode, "status (body %q)", brief(got))
			assert.Equal(t, "same-origin", resp.Header.Get("Cross-Origin-Resource-Policy"), "CORP")
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "nosniff")
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no CORS")
		})
	}
	closeWithin(t, hub)
	resp, _ := request{remoteAddr: loopback, target: "/"}.do(t, hub)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "after Close")
	assert.Equal(t, "same-origin", resp.Header.Get("Cross-Origin-Resource-Policy"), "CORP after Close")
}

// Query values are bounded, and an error never echoes more than a short,
// escaped prefix of what the client sent.
func TestOversizedParameters(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	const marker = "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ" // 40 bytes: more than an error repeats
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "contains of 1 MiB", give: "contains=" + strings.Repeat("a", 1<<20), want: "contains is 1048576 bytes long (the most is 1024)"},
		{name: "contains just over", give: "contains=" + strings.Repeat("a", 1025), want: "contains is 1025 bytes long (the most is 1024)"},
		{name: "level of 900 KB", give: "level=" + strings.Repeat("w", 900_000), want: "level is 900000 bytes long (the most is 16)"},
		{name: "format of 900 KB", give: "format=" + strings.Repeat("x", 900_000), want: "format is 900000 bytes long (the most is 16)"},
		{name: "an unknown level is quoted", give: "level=%3Cscript%3E%0A", want: `level="<script>\n": unknown level`},
		{name: "an unknown format is cut short", give: "format=" + marker[:16], want: `format="QQQQQQQQQQQQQQQQ": unknown format`},
		{name: "an unknown method is cut short", give: "", want: `method "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"... not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if tt.give == "" {
				method = marker
			}
			req, err := http.NewRequest(method, srv.URL+"/?"+tt.give, nil)
			require.NoError(t, err, "request")
			// A bounded wait: an accepted value would start a follower.
			client := &http.Client{Timeout: wait, Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			require.NoError(t, err, "request")
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err, "reading the body")
			if method == http.MethodGet {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "status")
			}
			assert.Less(t, len(b), 200, "body length")
			assert.Contains(t, string(b), tt.want, "body")
			assert.NotContains(t, string(b), marker, "the body repeats no more than a prefix")
		})
	}

	t.Run("the longest values are accepted", func(t *testing.T) {
		f := follow(t, srv.URL+"/?contains="+strings.Repeat("a", 1024)+"&level=informational", "")
		assert.Equal(t, http.StatusOK, f.resp.StatusCode, "status")
	})
}

// BearerToken admits a request with the token, from anywhere, and refuses
// the others with a Bearer challenge.
func TestBearerToken(t *testing.T) {
	hub := httptail.New(httptail.WithAuthorize(httptail.BearerToken("9f1c-long-random-token")))
	defer closeWithin(t, hub)
	tests := []struct {
		name      string
		auth      []string
		status    int
		challenge string
	}{
		{name: "the token", auth: []string{"Bearer 9f1c-long-random-token"}, status: 200},
		{name: "the scheme in any case", auth: []string{"bearer 9f1c-long-random-token"}, status: 200},
		{name: "no token", status: 401, challenge: `Bearer realm="httptail"`},
		{name: "a wrong token", auth: []string{"Bearer 9f1c-long-random-tokeN"}, status: 401, challenge: `Bearer realm="httptail", error="invalid_token"`},
		{name: "a prefix of the token", auth: []string{"Bearer 9f1c"}, status: 401, challenge: `Bearer realm="httptail", error="invalid_token"`},
		{name: "the token and more", auth: []string{"Bearer 9f1c-long-random-token2"}, status: 401, challenge: `Bearer realm="httptail", error="invalid_token"`},
		{name: "an empty token", auth: []string{"Bearer "}, status: 401, challenge: `Bearer realm="httptail", error="invalid_request"`},
		{name: "basic credentials", auth: []string{"Basic b25jYWxsOnMzY3JldA=="}, status: 401, challenge: `Bearer realm="httptail", error="invalid_request"`},
		{name: "two headers", auth: []string{"Bearer 9f1c-long-random-token", "Bearer other"}, status: 401, challenge: `Bearer realm="httptail", error="invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?format=html", nil)
			r.RemoteAddr, r.Host = outsider, localHost
			for _, a := range tt.auth {
				r.Header.Add("Authorization", a)
			}
			w := httptest.NewRecorder()
			hub.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, "status (body %q)", brief(w.Body.String()))
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"), "challenge")
			assert.NotContains(t, w.Body.String(), "9f1c", "the body never repeats a token")
		})
	}

	t.Run("an empty configured token admits no one", func(t *testing.T) {
		none := httptail.New(httptail.WithAuthorize(httptail.BearerToken("")))
		defer closeWithin(t, none)
		for _, auth := range []string{"", "Bearer ", "Bearer x"} {
			r := httptest.NewRequest(http.MethodGet, "/?format=html", nil)
			r.RemoteAddr, r.Host = loopback, localHost
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			none.ServeHTTP(w, r)
			assert.Equal(t, http.StatusForbidden, w.Code, "status with Authorization %q", auth)
			assert.Contains(t, w.Body.String(), "empty token", "body")
		}
	})
}
