package rotate

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsink/streamsink/internal/conftest"
	"github.com/streamsink/streamsink/logsink"
)

func TestConfigFromURL(t *testing.T) {
	urlScheme(t.TempDir()).Decodes(t, map[string]Config{
		"rotate:///var/log/app.log?max_size=100MB&max_backups=5&every=24h&policy=drop": {Filename: "/var/log/app.log",
			MaxSize: 100e6, MaxBackups: 5, Every: 24 * time.Hour, Config: logsink.Config{Policy: logsink.Drop}},
		"rotate:app.log": {Filename: "app.log"},
		"rotate:///l/a.log?max_total_size=1GiB&rotate_on_open=true&follow=false": {
			Filename: "/l/a.log", MaxTotalSize: 1 << 30, RotateOnOpen: true, Follow: Off},
		"rotate:///l/a.log?follow=true":        {Filename: "/l/a.log", Follow: On},
		"rotate:///l/a.log?follow=off":         {Filename: "/l/a.log", Follow: Off},
		"rotate:logs/app.log":                  {Filename: "logs/app.log"},
		"rotate:../logs/app.log?max_size=1MiB": {Filename: "../logs/app.log", MaxSize: 1 << 20},
		"rotate:/var/log/app.log":              {Filename: "/var/log/app.log"},
		"rotate://localhost/var/log/app.log":   {Filename: "/var/log/app.log"},
		"rotate:///var/log/my%20app.log":       {Filename: "/var/log/my app.log"},
		"rotate:my%20app.log":                  {Filename: "my app.log"},
		"rotate:///l/a.log?max_age=168h&compress=true&local_time=true&mode=0600&buffer_size=4MiB" +
			"&high_water_mark=64KiB&flush_interval=250ms&block_timeout=1s&close_timeout=2s&keep_timeout=3s": {
			Filename: "/l/a.log", MaxAge: 168 * time.Hour, Compress: true, LocalTime: true, Mode: 0o600,
			Config: logsink.Config{BufferSize: 4 << 20, HighWaterMark: 64 << 10, FlushInterval: 250 * time.Millisecond,
				BlockTimeout: time.Second, CloseTimeout: 2 * time.Second, KeepTimeout: 3 * time.Second}},
	})
}

// urlScheme is what the shared URL checks need of this package.
func urlScheme(dir string) conftest.Scheme[Config] {
	return conftest.Scheme[Config]{
		Decode: configFromURL,
		Location: func(c Config) (url.URL, string) {
			if strings.HasPrefix(c.Filename, "/") {
				return url.URL{Scheme: Scheme, Path: c.Filename}, "filename"
			}
			return url.URL{Scheme: Scheme, Opaque: (&url.URL{Path: c.Filename}).EscapedPath()}, "filename"
		},
		Check: func(c Config) error {
			c.Filename = filepath.Join(dir, "app.log") // Validate makes the file's directory
			return c.Validate()
		},
	}
}

// FuzzURL checks that no rotate URL panics the decoder or Validate, and
// that a decoded config writes back to a URL that decodes to it.
//
// Its seeds are in testdata/fuzz/FuzzURL.
func FuzzURL(f *testing.F) {
	scheme := urlScheme(f.TempDir())
	f.Fuzz(scheme.FuzzURL)
}
