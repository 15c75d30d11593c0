package rotate

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

func TestConfigFromURL(t *testing.T) {
	tests := []struct {
		give string
		want Config
	}{
		{
			give: "rotate:///var/log/app.log?max_size=100MB&max_backups=5&every=24h&policy=drop",
			want: Config{Filename: "/var/log/app.log", MaxSize: 100e6, MaxBackups: 5, Every: 24 * time.Hour,
				Config: logsink.Config{Policy: logsink.Drop}},
		},
		{give: "rotate:logs/app.log", want: Config{Filename: "logs/app.log"}},
		{
			give: "rotate:///l/a.log?max_total_size=1GiB&rotate_on_open=true&follow=false",
			want: Config{Filename: "/l/a.log", MaxTotalSize: 1 << 30, RotateOnOpen: true, Follow: Off},
		},
		{give: "rotate:///l/a.log?follow=true", want: Config{Filename: "/l/a.log", Follow: On}},
		{give: "rotate:///l/a.log?follow=off", want: Config{Filename: "/l/a.log", Follow: Off}},
		{give: "rotate:/var/log/app.log", want: Config{Filename: "/var/log/app.log"}},
		{give: "rotate://localhost/var/log/app.log", want: Config{Filename: "/var/log/app.log"}},
		{give: "rotate:///var/log/my%20app.log", want: Config{Filename: "/var/log/my app.log"}},
		{give: "rotate:my%20app.log", want: Config{Filename: "my app.log"}},
		{
			give: "rotate:///l/a.log?max_age=168h&compress=true&local_time=true&mode=0600&buffer_size=4MiB" +
				"&high_water_mark=64KiB&flush_interval=250ms&block_timeout=1s&close_timeout=2s",
			want: Config{Filename: "/l/a.log", MaxAge: 168 * time.Hour, Compress: true, LocalTime: true, Mode: 0o600,
				Config: logsink.Config{BufferSize: 4 << 20, HighWaterMark: 64 << 10, FlushInterval: 250 * time.Millisecond,
					BlockTimeout: time.Second, CloseTimeout: 2 * time.Second}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "parse")
			got, err := configFromURL(u)
			require.NoError(t, err, "configFromURL")
			assert.Equal(t, tt.want, got, "config")
		})
	}
}

// FuzzConfigFromURL checks that no URL panics the decoder, and that a
// decoded config encodes back to a query that decodes to the same config.
func FuzzConfigFromURL(f *testing.F) {
	for _, s := range []string{
		"rotate:///var/log/app.log?max_size=100MB&max_backups=5&every=24h&policy=drop",
		"rotate:logs/app.log?mode=0640&compress=true",
		"rotate://localhost/a.log?max_age=1h&local_time=1&buffer_size=1KiB",
		"rotate:///a.log?max_size=9223372036854775807",
		"rotate:///a.log?mode=0o777&max_size=1TiB&flush_interval=1ns",
		"rotate://h:1/a.log?x=%zz#f",
		"rotate:///a.log?max_total_size=200MB&rotate_on_open=1&follow=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		cfg, err := configFromURL(u)
		if err != nil {
			return
		}
		q := url.Values{}
		for k, v := range confkit.Encode(&cfg) {
			if k != "filename" {
				q.Set(k, fmt.Sprint(v))
			}
		}
		again, err := configFromURL(&url.URL{Scheme: Scheme, Path: cfg.Filename, RawQuery: q.Encode()})
		require.NoError(t, err, "decode the encoded config %v", q)
		assert.Equal(t, cfg, again, "round trip through %v", q)
	})
}
