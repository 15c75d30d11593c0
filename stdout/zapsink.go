package stdout

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the zap sink scheme this package registers when imported.
const Scheme = "stream"

// registerErr is what registering Scheme returned: zap's error if another
// package registered it first.
var registerErr error

func init() {
	registerErr = logsink.RegisterScheme(Scheme, openURL)
}

// openURL opens a stream for a zap OutputPaths URL such as
// stream:stdout?policy=drop&buffer_size=256KiB. stream:///stdout and
// stream://stdout name the same target.
func openURL(u *url.URL) (*logsink.Stream, error) {
	cfg, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return cfg.Open()
}

// parseURL decodes a "stream" URL into a Config, without opening it: the
// target is the URL's opaque part (stream:stdout, stream:stderr; also
// stream:///stdout), and every query parameter is a Config setting by its
// JSON name. An unknown target or parameter, or a bad value, is an error
// that names it.
func parseURL(u *url.URL) (Config, error) {
	var cfg Config
	if u.Scheme != Scheme {
		return cfg, fmt.Errorf("stdout: scheme %q: want %s", u.Scheme, Scheme)
	}
	if u.User != nil {
		return cfg, errors.New("stdout: user information is not allowed in a stream URL")
	}
	if u.Fragment != "" {
		return cfg, fmt.Errorf("stdout: fragment %q is not allowed in a stream URL", u.Fragment)
	}
	name := u.Opaque
	if name == "" {
		name = strings.TrimPrefix(u.Host+u.Path, "/")
	}
	switch name {
	case TargetStdout, TargetStderr:
	case "":
		return cfg, fmt.Errorf("stdout: no target (want %s:%s or %s:%s)", Scheme, TargetStdout, Scheme, TargetStderr)
	default:
		return cfg, fmt.Errorf("stdout: target %q: unknown target (want %s or %s)", name, TargetStdout, TargetStderr)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("stdout: query %q: %w", u.RawQuery, err)
	}
	if q.Has("target") {
		return cfg, fmt.Errorf("stdout: target=%q: name the target in the URL (%s:%s), not as a parameter", q.Get("target"), Scheme, name)
	}
	if err := confkit.Query(&cfg, q); err != nil {
		return cfg, fmt.Errorf("stdout: %w", err)
	}
	cfg.Target = name
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
