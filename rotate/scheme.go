package rotate

import (
	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Scheme is the URL scheme of rotating files, which importing the package
// registers for logsink.OpenURL, logsink.Build and zap's OutputPaths:
// rotate:///var/log/app.log?max_size=100MB.
const Scheme = "rotate"

var scheme = confkit.Scheme{Name: Scheme, Pkg: "rotate", Location: "filename",
	Forms: "rotate:///absolute/path.log, or rotate:relative/path.log from the working directory"}

func init() {
	// If another package registered the scheme first, zap keeps that one;
	// there is no one to tell but the URL's user, who will see the other
	// scheme's behaviour.
	_ = logsink.RegisterScheme(Scheme, confkit.URLOpener(configFromURL, func(c Config) (*logsink.Stream, error) {
		return Open(c)
	}))
}

// configFromURL decodes a rotate URL into a Config, without validating it:
// rotate:///abs/path/app.log?max_size=100MB&policy=drop (also
// rotate:/abs/path/app.log and rotate://localhost/abs/path/app.log), or
// rotate:rel/path/app.log?... for a path relative to the working directory
// at open time. Every Config field, the stream settings included, is a
// query parameter named as in JSON.
var configFromURL = confkit.URLDecoder(scheme, func(c *Config, loc confkit.Location) error {
	if loc.Host != "" && loc.Host != "localhost" {
		// rotate://app.log is what people try first for a relative path.
		return scheme.Errorf("host %q not allowed in the URL (want %s)", loc.Host, scheme.Forms)
	}
	c.Filename = loc.Path
	return nil
})
