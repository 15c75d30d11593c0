package httptail

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrUnauthenticated makes a request that the Authorize function refused
// get 401 Unauthorized instead of 403 Forbidden: return it, or an error
// that wraps it, when the request carries no credentials or wrong ones.
// Test with errors.Is.
var ErrUnauthenticated = errors.New("httptail: authentication required")

// ServeHTTP serves the log. GET follows it in the format that ?format=
// names (ndjson, sse or html) or else the Accept header prefers: NDJSON by
// default, Server-Sent Events for text/event-stream, the HTML page for
// text/html. The query parameters level (a minimum level name, such as
// warn) and contains (text an entry must hold) filter the entries. HEAD
// answers with the headers alone.
//
// Before anything else, a request whose Host is not an IP address,
// localhost or a name given to WithAllowedHosts gets 403, as does one a
// browser marks as sent by another site's page; then Authorize decides,
// or without it a client that is not local (loopback or a Unix socket, by
// the connection's address: X-Forwarded-For and the like are never
// trusted) gets 403. After that, a request that Authorize refused gets 401
// or 403, any method but GET and HEAD 405, a request after Close or past
// MaxClients 503, and a bad or oversized query parameter 400 naming it.
// Every response carries Cross-Origin-Resource-Policy: same-origin and no
// CORS header, so that no other site's page can read it.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if !h.admit(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, fmt.Sprintf("httptail: method %s not allowed (want GET or HEAD)", quoteShort(r.Method)), http.StatusMethodNotAllowed)
		return
	}
	if h.clients.Load() == &closedList {
		http.Error(w, "httptail: "+errClosed.Error(), http.StatusServiceUnavailable)
		return
	}
	q, err := parseQuery(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case q.format == html:
		h.servePage(w, r)
	case r.Method == http.MethodHead:
		hdr.Set("Content-Type", contentType(q.format))
		hdr.Add("Vary", "Accept")
		w.WriteHeader(http.StatusOK)
	default:
		h.serveStream(w, r, q)
	}
}

// refuse answers a request that Authorize refused with err.
func refuse(w http.ResponseWriter, err error) {
	if !errors.Is(err, ErrUnauthenticated) {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	var ch interface{ Challenge() string }
	if errors.As(err, &ch) {
		if c := ch.Challenge(); c != "" {
			w.Header().Set("WWW-Authenticate", c)
		}
	}
	http.Error(w, err.Error(), http.StatusUnauthorized)
}

func contentType(f format) string {
	switch f {
	case sse:
		return "text/event-stream; charset=utf-8"
	case html:
		return "text/html; charset=utf-8"
	}
	return "application/x-ndjson"
}
