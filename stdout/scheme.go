package stdout

import (
	"strings"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the URL scheme of standard output and standard error, which
// importing the package registers for logsink.OpenURL, logsink.Build and
// zap's OutputPaths: stream:stdout?policy=drop.
const Scheme = "stream"

var scheme = confkit.Scheme{Name: Scheme, Pkg: "stdout", Location: "target",
	Forms: "stream:stdout or stream:stderr"}

// registerErr is what registering Scheme returned: zap's error if another
// package registered it first.
var registerErr = logsink.RegisterScheme(Scheme, confkit.URLOpener(configFromURL, func(c Config) (*logsink.Stream, error) {
	return Open(c)
}))

// configFromURL decodes a stream URL into a Config, without validating it:
// the target is the URL's opaque part (stream:stdout, stream:stderr; also
// stream:///stdout and stream://stdout), and every other Config field is a
// query parameter named as in JSON.
var configFromURL = confkit.URLDecoder(scheme, func(c *Config, loc confkit.Location) error {
	target := loc.Path
	if !loc.Opaque {
		target = strings.TrimPrefix(loc.Host+loc.Path, "/")
	}
	switch target {
	case TargetStdout, TargetStderr:
		c.Target = target
		return nil
	case "":
		return scheme.Errorf("no target (want %s)", scheme.Forms)
	}
	return scheme.Errorf("target %q: unknown target (want %s)", target, scheme.Forms)
})
