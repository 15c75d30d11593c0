package logsink

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// schemes holds the open functions of the schemes registered here, by
// lower-case name, for OpenURL and Build.
var schemes struct {
	mu   sync.Mutex
	open map[string]func(*url.URL) (*Stream, error)
}

// RegisterScheme registers a URL scheme whose URLs open a Stream, for
// OpenURL, Build and zap's own OutputPaths (it also registers the scheme
// as a zap sink; closing the zap sink closes the stream). Packages rotate,
// stdout and netsink call it from init for "rotate", "stream" and "net".
// It returns zap's error, without panicking, if the scheme is already
// registered or is not a valid scheme name.
func RegisterScheme(scheme string, open func(u *url.URL) (*Stream, error)) error {
	err := zap.RegisterSink(scheme, func(u *url.URL) (zap.Sink, error) {
		s, err := open(u)
		if err != nil {
			return nil, err // zap's error names the URL
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	schemes.mu.Lock()
	defer schemes.mu.Unlock()
	if schemes.open == nil {
		schemes.open = make(map[string]func(*url.URL) (*Stream, error))
	}
	schemes.open[strings.ToLower(scheme)] = open
	return nil
}

// OpenURL opens a stream from a URL of a registered scheme, the same
// strings zap's OutputPaths take: rotate:///var/log/app.log?max_size=100MB
// (import rotate), stream:stdout?policy=drop (import stdout),
// net://logs.internal:5140?framing=octet (import netsink). It is how a
// log/slog handler, or any other writer, is configured by those strings.
// The caller owns the stream and closes it. Errors name the URL, and the
// parameter and value at fault.
func OpenURL(rawURL string) (*Stream, error) {
	u, open, err := lookupScheme(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := open(u)
	if err != nil {
		return nil, fmt.Errorf("logsink: open %q: %w", rawURL, err)
	}
	return s, nil
}

// lookupScheme parses rawURL and finds its scheme's open function.
func lookupScheme(rawURL string) (*url.URL, func(*url.URL) (*Stream, error), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("logsink: open %q: %w", rawURL, err)
	}
	schemes.mu.Lock()
	open := schemes.open[strings.ToLower(u.Scheme)]
	known := make([]string, 0, len(schemes.open))
	for name := range schemes.open {
		known = append(known, name+":")
	}
	schemes.mu.Unlock()
	if open == nil {
		slices.Sort(known)
		if len(known) == 0 {
			known = append(known, "none")
		}
		return nil, nil, fmt.Errorf("logsink: open %q: no stream scheme %q registered (registered: %s; "+
			"importing rotate, stdout or netsink registers rotate:, stream: or net:)",
			rawURL, u.Scheme, strings.Join(known, ", "))
	}
	return u, open, nil
}

// isRegistered reports whether path is a URL of a scheme registered here.
func isRegistered(path string) bool {
	_, _, err := lookupScheme(path)
	return err == nil
}
