package rotate

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the zap sink scheme that importing this package registers.
const Scheme = "rotate"

func init() {
	// If another package registered the scheme first, zap keeps that one;
	// there is no one to tell but the URL's user, who will see the other
	// scheme's behaviour.
	_ = logsink.RegisterScheme(Scheme, openURL)
}

// openURL opens the stream a rotate URL describes.
func openURL(u *url.URL) (*logsink.Stream, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, err
	}
	return cfg.Open()
}

// configFromURL decodes a rotate URL into a Config, without validating it:
// rotate:///abs/path/app.log?max_size=100MB&policy=drop, or
// rotate:rel/path/app.log?... for a path relative to the working directory.
// Every Config field, the stream settings included, is a query parameter
// named as in JSON; each bad or unknown parameter is an error naming it.
func configFromURL(u *url.URL) (Config, error) {
	var cfg Config
	switch {
	case u.User != nil:
		return cfg, errors.New("rotate: user information not allowed in the URL")
	case u.Fragment != "":
		return cfg, fmt.Errorf("rotate: fragment %q not allowed in the URL", u.Fragment)
	case u.Port() != "":
		return cfg, fmt.Errorf("rotate: port %q not allowed in the URL", u.Port())
	case u.Hostname() != "" && u.Hostname() != "localhost":
		return cfg, fmt.Errorf("rotate: host %q not allowed in the URL (want rotate:///absolute/path or rotate:relative/path)", u.Hostname())
	}
	name := u.Path
	if u.Opaque != "" {
		var err error
		if name, err = url.PathUnescape(u.Opaque); err != nil {
			return cfg, fmt.Errorf("rotate: path %q: %w", u.Opaque, err)
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("rotate: query %q: %w", u.RawQuery, err)
	}
	if _, ok := q["filename"]; ok {
		return cfg, errors.New("rotate: filename: give the file as the URL's path, not as a parameter")
	}
	if err := confkit.Query(&cfg, q); err != nil {
		return cfg, fmt.Errorf("rotate: %w", err)
	}
	cfg.Filename = name
	return cfg, nil
}
