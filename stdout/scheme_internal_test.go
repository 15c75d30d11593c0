package stdout

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/streamsink/streamsink/internal/conftest"
	"github.com/streamsink/streamsink/logsink"
)

func TestConfigFromURL(t *testing.T) {
	urlScheme.Decodes(t, map[string]Config{
		"stream:stdout":    {Target: "stdout"},
		"stream:stderr":    {Target: "stderr"},
		"stream:///stdout": {Target: "stdout"},
		"stream://stderr":  {Target: "stderr"},
		"stream:stdout?policy=drop&buffer_size=256KiB&flush_interval=50ms": {Target: "stdout",
			Config: logsink.Config{Policy: logsink.Drop, BufferSize: 256 << 10, FlushInterval: 50 * time.Millisecond}},
		"stream:stderr?high_water_mark=4KiB&block_timeout=1s&close_timeout=2s&keep_timeout=3s&survive_broken_pipe=true": {
			Target: "stderr", SurviveBrokenPipe: true, Config: logsink.Config{HighWaterMark: 4 << 10,
				BlockTimeout: time.Second, CloseTimeout: 2 * time.Second, KeepTimeout: 3 * time.Second}},
	})
}

func TestConfigFromURLErrors(t *testing.T) {
	urlScheme.Rejects(t, map[string]string{
		"stream:stdin":                            `stdout: target "stdin": unknown target (want stream:stdout or stream:stderr)`,
		"stream:":                                 "stdout: no target",
		"stream:///":                              "stdout: no target",
		"stream:///dev/stdout":                    `stdout: target "dev/stdout"`,
		"stream:stdout?colour=red":                `stdout: unknown parameter "colour"`,
		"stream:stdout?policy=sometimes":          `stdout: policy="sometimes": logsink: unknown policy "sometimes"`,
		"stream:stdout?buffer_size=banana":        `stdout: buffer_size="banana": invalid size "banana"`,
		"stream:stdout?block_timeout=soon":        `stdout: block_timeout="soon": not a duration`,
		"stream:stdout?survive_broken_pipe=maybe": `stdout: survive_broken_pipe="maybe": not a boolean`,
		"stream:stdout?policy=drop&policy=block":  `stdout: parameter "policy" given 2 times`,
		"stream:stdout?target=stderr":             `stdout: target="stderr": give it in the URL, not as a parameter (want stream:stdout or stream:stderr)`,
		"stream:stdout?buffer_size=%zz":           `stdout: query "buffer_size=%zz"`,
		"stream://user@stdout":                    "stdout: user information not allowed",
		"stream:stdout#x":                         `stdout: fragment "x" not allowed`,
	})
}

func TestSchemeRegistered(t *testing.T) {
	assert.NoError(t, registerErr, "registering the %q zap sink scheme", Scheme)
}

// urlScheme is what the shared URL checks need of this package.
var urlScheme = conftest.Scheme[Config]{
	Decode: configFromURL,
	Location: func(c Config) (url.URL, string) {
		return url.URL{Scheme: Scheme, Opaque: c.Target}, "target"
	},
	Check: Config.Validate,
}

// FuzzURL checks that no stream URL panics the decoder or Validate, and
// that a decoded config writes back to a URL that decodes to it.
//
// Its seeds are in testdata/fuzz/FuzzURL.
func FuzzURL(f *testing.F) {
	f.Fuzz(urlScheme.FuzzURL)
}
