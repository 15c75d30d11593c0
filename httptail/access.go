package httptail

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// admit runs the checks every request passes before the Hub looks at
// anything else, and answers the request itself when one fails: the Host
// (always), a browser's cross-site marks (always), and then either the
// service's Authorize or, without one, that the client is local. It
// reports whether the request may go on.
func (h *Hub) admit(w http.ResponseWriter, r *http.Request) bool {
	if !h.hostAllowed(r.Host) {
		http.Error(w, "httptail: Host "+quoteShort(r.Host)+
			" is not allowed (want an IP address, localhost, or a name given to httptail.WithAllowedHosts)", http.StatusForbidden)
		return false
	}
	if crossSite(r) {
		http.Error(w, "httptail: a request from another site's page is refused", http.StatusForbidden)
		return false
	}
	if h.opts.authorize != nil {
		if err := h.opts.authorize(r); err != nil {
			refuse(w, err)
			return false
		}
		return true
	}
	if name := proxyHeader(r.Header); name != "" {
		http.Error(w, "httptail: a request that came through a proxy (it carries "+name+
			") is not a local client; to serve it, pass the service's own check to httptail.WithAuthorize", http.StatusForbidden)
		return false
	}
	if !localPeer(r) {
		http.Error(w, "httptail: the log is served to local clients only (loopback or a Unix socket); "+
			"to serve others, pass the service's own check to httptail.WithAuthorize", http.StatusForbidden)
		return false
	}
	return true
}

// hostAllowed reports whether a request for host (the Host header, with
// or without a port) may be answered. An IP literal or localhost cannot be
// a rebound name: a page on another origin that reaches the Hub through
// DNS rebinding sends its own name as the Host, and it is refused here
// unless the service listed it.
func (h *Hub) hostAllowed(host string) bool {
	name := normalHost(host)
	switch {
	case name == "":
		return false
	case name == "localhost":
		return true
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	for _, allowed := range h.opts.allowedHosts {
		if name == allowed {
			return true
		}
	}
	return false
}

// normalHost returns host without a port, IPv6 brackets or a trailing dot,
// in lower case.
func normalHost(host string) string {
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.TrimSuffix(host, ".")
	return strings.ToLower(host)
}

// crossSite reports whether a browser marked r as sent by a page of
// another origin: Sec-Fetch-Site cross-site or same-site, or an Origin
// that is not the Host. Such a page could not read the response (the Hub
// sends no CORS headers), but it could hold client slots; refusing it
// costs a legitimate client nothing. A top-level navigation (a link
// followed from another site) is let through: the page that linked cannot
// read what the browser then shows. A client that is not a browser sends
// neither header; these marks only ever refuse.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(u.Host, r.Host) // "null" too
}

// proxyHeaders are headers a proxy adds. A request that carries one came
// through a proxy, and a proxy on the same host makes every client look
// local, so without Authorize such a request is refused. The headers are
// never used to admit anyone: whoever sends them can leave them out.
var proxyHeaders = [...]string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "Via"}

// proxyHeader returns the name of the first proxy header in hdr, or "".
func proxyHeader(hdr http.Header) string {
	for _, name := range proxyHeaders {
		if _, ok := hdr[name]; ok {
			return name
		}
	}
	return ""
}

// localPeer reports whether r came from this host: over a Unix socket, or
// from a loopback address (127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into
// IPv6). It reads the connection's own addresses only.
func localPeer(r *http.Request) bool {
	if _, ok := r.Context().Value(http.LocalAddrContextKey).(*net.UnixAddr); ok {
		return true
	}
	switch r.RemoteAddr {
	case "", "@": // net/http's RemoteAddr for a Unix-socket peer
		return true
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return ap.Addr().Unmap().IsLoopback()
}

// maxQuoted is the most of a client's text an error message repeats.
const maxQuoted = 32

// quoteShort returns s quoted and escaped, cut to its first maxQuoted
// bytes (at a character boundary) with "..." after it if it was longer: an
// error message never echoes much of what a client sent.
func quoteShort(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
