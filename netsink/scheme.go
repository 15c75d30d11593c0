package netsink

import (
	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the URL scheme of collector connections, which importing the
// package registers for logsink.OpenURL, logsink.Build and zap's
// OutputPaths: net://logs.internal:5140?framing=octet.
const Scheme = "net"

var scheme = confkit.Scheme{Name: Scheme, Pkg: "netsink", Location: "address",
	Forms: "net://host:port, or net:///socket/path"}

// configFromURL decodes a net URL into a Config, without validating it:
// net://host:port?proto=udp&framing=rfc5424 for tcp and udp, or
// net:///path/to/socket?proto=unixgram for unix sockets (proto defaults to
// unix for a path). Every Config field but address is a query parameter
// named as in JSON.
var configFromURL = confkit.URLDecoder(scheme, func(c *Config, loc confkit.Location) error {
	path := loc.Path
	if path == "/" {
		path = ""
	}
	switch {
	case loc.Opaque:
		return scheme.Errorf("address %q without // before it (want %s)", loc.Path, scheme.Forms)
	case loc.Host != "" && path != "":
		return scheme.Errorf("host %q and path %q: give a host:port or a socket path, not both (want %s)", loc.Host, path, scheme.Forms)
	case loc.Host != "":
		c.Address = loc.Host
	case path != "":
		c.Address = path
		if c.Proto == "" {
			c.Proto = "unix"
		}
	default:
		return scheme.Errorf("no address (want %s)", scheme.Forms)
	}
	return nil
})

func init() {
	// If another package registered the scheme first, zap keeps that one.
	_ = logsink.RegisterScheme(Scheme, confkit.URLOpener(configFromURL, func(c Config) (*logsink.Stream, error) {
		return Open(c)
	}))
}
