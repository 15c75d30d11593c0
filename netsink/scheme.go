package netsink

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the zap sink scheme that importing this package registers.
const Scheme = "net"

func init() {
	// If another package registered the scheme first, zap keeps that one.
	_ = logsink.RegisterScheme(Scheme, openURL)
}

// openURL opens the stream a net URL describes.
func openURL(u *url.URL) (*logsink.Stream, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, err
	}
	return cfg.Open()
}

// configFromURL decodes a net URL into a Config, without validating it:
// net://host:port?proto=udp&framing=rfc5424 for tcp and udp, or
// net:///path/to/socket?proto=unixgram for unix sockets (proto defaults to
// unix for a path). Every Config field but address is a query parameter
// named as in JSON; each bad or unknown parameter is an error naming it.
func configFromURL(u *url.URL) (Config, error) {
	var cfg Config
	switch {
	case u.User != nil:
		return cfg, errors.New("netsink: user information not allowed in the URL")
	case u.Fragment != "":
		return cfg, fmt.Errorf("netsink: fragment %q not allowed in the URL", u.Fragment)
	case u.Opaque != "":
		return cfg, fmt.Errorf("netsink: %q: want net://host:port or net:///socket/path", u.String())
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("netsink: query %q: %w", u.RawQuery, err)
	}
	if q.Has("address") {
		return cfg, fmt.Errorf("netsink: address=%q: give the address as the URL's host or path, not as a parameter", q.Get("address"))
	}
	if err := confkit.Query(&cfg, q); err != nil {
		return cfg, fmt.Errorf("netsink: %w", err)
	}
	path := u.Path
	if path == "/" {
		path = ""
	}
	switch {
	case u.Host != "" && path != "":
		return cfg, fmt.Errorf("netsink: %q: give a host:port or a socket path, not both", u.String())
	case u.Host != "":
		cfg.Address = u.Host
	case path != "":
		cfg.Address = path
		if cfg.Proto == "" {
			cfg.Proto = "unix"
		}
	default:
		return cfg, fmt.Errorf("netsink: %q: no address (want net://host:port or net:///socket/path)", u.String())
	}
	return cfg, nil
}
