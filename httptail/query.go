package httptail

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/streamsink/streamsink/internal/level"
)

// A format is how a response shows entries.
type format int

const (
	ndjson format = iota // one entry per line, as written
	sse                  // Server-Sent Events, one event per entry
	html                 // the page, which follows the sse stream
)

// formatNames are the values of ?format=, in format order.
var formatNames = [...]string{ndjson: "ndjson", sse: "sse", html: "html"}

func (f format) String() string { return formatNames[f] }

// query is what a request asks for.
type query struct {
	format   format
	minLevel int    // show entries at this syslog severity or more severe; -1 for all
	contains []byte // show only entries holding these bytes; empty for all
}

// queryKeys are the query parameters the Hub reads, with the longest value
// each may have. Others are left to the service, such as a token that its
// Authorize checks.
var queryKeys = [...]struct {
	name string
	max  int
}{
	{"format", maxFormatLen},
	{"level", maxLevelLen},
	{"contains", maxContainsLen},
}

// The longest value, in bytes after unescaping, of each query parameter the
// Hub reads; a longer one is a 400 that does not repeat it. contains is
// matched against every entry, so its length is work per entry.
const (
	maxFormatLen   = 16
	maxLevelLen    = 16
	maxContainsLen = 1 << 10
)

// parseQuery reads the format, from ?format= or else the Accept header, and
// the filters. Its errors name the parameter, and repeat no more than a
// short, escaped prefix of the value.
func parseQuery(r *http.Request) (query, error) {
	q := query{minLevel: -1}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// url's errors quote at most an escape ("%zz") or a semicolon.
		return q, fmt.Errorf("httptail: bad query string: %v", err)
	}
	for _, k := range queryKeys {
		vs := values[k.name]
		if len(vs) > 1 {
			return q, fmt.Errorf("httptail: %s given %d times (want it once)", k.name, len(vs))
		}
		if len(vs) == 1 && len(vs[0]) > k.max {
			return q, fmt.Errorf("httptail: %s is %d bytes long (the most is %d)", k.name, len(vs[0]), k.max)
		}
	}
	switch f := values.Get("format"); f {
	case "":
		q.format = negotiate(r.Header.Values("Accept"))
	case "ndjson", "jsonl":
		q.format = ndjson
	case "sse":
		q.format = sse
	case "html":
		q.format = html
	default:
		return q, fmt.Errorf("httptail: format=%s: unknown format (want ndjson, sse or html)", quoteShort(f))
	}
	if name := values.Get("level"); name != "" {
		sev, ok := level.Parse([]byte(name))
		if !ok {
			return q, fmt.Errorf("httptail: level=%s: unknown level (want %s)", quoteShort(name), level.Known)
		}
		q.minLevel = sev
	}
	if s := values.Get("contains"); s != "" {
		q.contains = []byte(s)
	}
	return q, nil
}

// negotiate picks the format the Accept header prefers: the media type
// with the highest q value, the first of equals; NDJSON if it names none
// of ours (curl sends */*).
func negotiate(accept []string) format {
	best, bestQ := ndjson, 0.0
	for _, header := range accept {
		for _, part := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			var f format
			switch mt {
			case "text/html", "application/xhtml+xml":
				f = html
			case "text/event-stream":
				f = sse
			case "application/x-ndjson", "application/jsonl", "application/json", "text/plain":
				f = ndjson
			default:
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = f, q
			}
		}
	}
	return best
}
