package rotate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// The messages for lumberjack's units written into rotate's fields, as
// issue 24 asks for them.
const (
	wantAgeTrap  = "max_age=28ns is a duration, not days: 28 days is 672h"
	wantSizeTrap = "max_size=100 bytes: lumberjack counts megabytes, rotate counts bytes (100MiB)"
)

func TestConfigRefusesLumberjackUnits(t *testing.T) {
	ok := logPath(t.TempDir())
	tests := []struct {
		name string
		give rotate.Config
		want string
	}{
		{name: "max_age in days", give: rotate.Config{Filename: ok, MaxAge: 28}, want: wantAgeTrap},
		{name: "max_age just under a minute", give: rotate.Config{Filename: ok, MaxAge: time.Minute - 1}, want: "max_age=59.999999999s is a duration, not days"},
		{name: "max_size in megabytes", give: rotate.Config{Filename: ok, MaxSize: 100}, want: wantSizeTrap},
		{name: "max_size just under 4KiB", give: rotate.Config{Filename: ok, MaxSize: 4<<10 - 1}, want: "max_size=4095 bytes: lumberjack counts megabytes"},
		{name: "lumberjack's example", give: rotate.Config{Filename: ok, MaxSize: 100, MaxAge: 28, MaxBackups: 3, Compress: true}, want: wantAgeTrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			assert.ErrorContains(t, err, tt.want, "Validate names lumberjack's unit")
			_, err = rotate.Open(tt.give)
			assert.ErrorContains(t, err, tt.want, "Open refuses it too")
		})
	}
}

func TestConfigAcceptsTheSmallestRealValues(t *testing.T) {
	cfg := rotate.Config{Filename: logPath(t.TempDir()), MaxSize: 4 << 10, MaxAge: time.Minute}
	assert.NoError(t, cfg.Validate(), "4KiB and a minute are rotate's units")
}

func TestConfigRefusesLumberjackUnitsFromConfigFiles(t *testing.T) {
	ok := logPath(t.TempDir())
	tests := []struct {
		name   string
		decode func(*rotate.Config) error
		want   []string
	}{
		{
			name: "YAML, keys renamed, numbers kept",
			decode: func(c *rotate.Config) error {
				return yaml.Unmarshal([]byte("filename: "+ok+"\nmax_size: 100\n"), c)
			},
			want: []string{wantSizeTrap},
		},
		{
			name: "YAML, max_age in nanoseconds",
			decode: func(c *rotate.Config) error {
				return yaml.Unmarshal([]byte("filename: "+ok+"\nmax_age: 28ns\n"), c)
			},
			want: []string{wantAgeTrap},
		},
		{
			name: "JSON, keys renamed, numbers kept",
			decode: func(c *rotate.Config) error {
				return json.Unmarshal([]byte(`{"filename": "`+ok+`", "max_size": 100, "max_age": 28}`), c)
			},
			want: []string{wantSizeTrap, wantAgeTrap},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg rotate.Config
			require.NoError(t, tt.decode(&cfg), "decode: the numbers are valid text")
			err := cfg.Validate()
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w, "Validate")
			}
		})
	}
}

// YAML has no number form for a duration: lumberjack's "maxage: 28",
// renamed, is refused while decoding.
func TestConfigYAMLMaxAgeInDaysIsADecodeError(t *testing.T) {
	var cfg rotate.Config
	assert.ErrorContains(t, yaml.Unmarshal([]byte("max_age: 28\n"), &cfg), "into time.Duration", "YAML")
}

func TestSchemeRefusesLumberjackUnits(t *testing.T) {
	base := "rotate://" + logPath(t.TempDir())
	tests := []struct {
		give string
		want string
	}{
		{give: base + "?max_size=100", want: wantSizeTrap},
		{give: base + "?max_age=28ns", want: wantAgeTrap},
		{give: base + "?max_age=28", want: `max_age="28"`}, // no unit: not a duration at all
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s, err := logsink.OpenURL(tt.give)
			if s != nil {
				_ = s.Close()
			}
			assert.ErrorContains(t, err, tt.want, "OpenURL")
		})
	}
}
