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

// queryKeys are the query parameters the Hub reads. Others are left to the
// service, such as a token that its Authorize checks.
var queryKeys = [...]string{"format", "level", "contains"}

// parseQuery reads the format, from ?format= or else the Accept header, and
// the filters. Its errors name the parameter and the value.
func parseQuery(r *http.Request) (query, error) {
	q := query{minLevel: -1}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return q, fmt.Errorf("httptail: bad query string: %v", err)
	}
	for _, k := range queryKeys {
		if n := len(values[k]); n > 1 {
			return q, fmt.Errorf("httptail: %s given %d times (want it once)", k, n)
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
		return q, fmt.Errorf("httptail: format=%q: unknown format (want ndjson, sse or html)", f)
	}
	if name := values.Get("level"); name != "" {
		sev, ok := level.Parse([]byte(name))
		if !ok {
			return q, fmt.Errorf("httptail: level=%q: unknown level (want %s)", name, level.Known)
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
