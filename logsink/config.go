package logsink

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamsink/streamsink/internal/confkit"
)

// Config holds a stream's settings in a form that config files and zap
// OutputPaths URLs decode into. Destination configs (rotate.Config,
// stdout.Config) embed it, so the same names work everywhere. The zero value
// means defaults; Go callers fill it with plain values (BufferSize: 4 << 20).
//
// In JSON, YAML and URL queries, sizes are text such as 512, 64KiB or 100MB,
// durations use Go's syntax (500ms, 1h), and the policy is block or drop.
type Config struct {
	// BufferSize is the hard cap on buffered bytes. Defaults to 1 MiB if
	// unspecified.
	BufferSize int `json:"buffer_size,omitempty" yaml:"buffer_size,omitempty" conf:"size"`
	// HighWaterMark is the buffered size that starts a flush. Defaults to
	// 16 KiB if unspecified.
	HighWaterMark int `json:"high_water_mark,omitempty" yaml:"high_water_mark,omitempty" conf:"size"`
	// FlushInterval is how often whatever is buffered is written. Defaults
	// to 1s if unspecified.
	FlushInterval time.Duration `json:"flush_interval,omitempty" yaml:"flush_interval,omitempty"`
	// Policy is what Write does when the buffer is full. Defaults to Block
	// if unspecified.
	Policy Policy `json:"policy,omitempty" yaml:"policy,omitempty"`
	// BlockTimeout bounds a blocked Write; then the entry is dropped.
	// Defaults to 0 (no bound) if unspecified.
	BlockTimeout time.Duration `json:"block_timeout,omitempty" yaml:"block_timeout,omitempty"`
	// CloseTimeout bounds how long Close retries a failing destination.
	// Defaults to 5s if unspecified.
	CloseTimeout time.Duration `json:"close_timeout,omitempty" yaml:"close_timeout,omitempty"`
	// KeepTimeout bounds how long a kept entry (WriteKeep, NewCore's
	// warnings) waits for room under Drop. Defaults to 1s if unspecified.
	KeepTimeout time.Duration `json:"keep_timeout,omitempty" yaml:"keep_timeout,omitempty"`
}

// Validate reports every bad value, each naming its setting.
func (c Config) Validate() error {
	var errs []error
	neg := func(name string, v int64, text string) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("logsink: %s=%s: must not be negative", name, text))
		}
	}
	neg("buffer_size", int64(c.BufferSize), fmt.Sprint(c.BufferSize))
	neg("high_water_mark", int64(c.HighWaterMark), fmt.Sprint(c.HighWaterMark))
	neg("flush_interval", int64(c.FlushInterval), c.FlushInterval.String())
	neg("block_timeout", int64(c.BlockTimeout), c.BlockTimeout.String())
	neg("close_timeout", int64(c.CloseTimeout), c.CloseTimeout.String())
	neg("keep_timeout", int64(c.KeepTimeout), c.KeepTimeout.String())
	if c.Policy != Block && c.Policy != Drop {
		errs = append(errs, fmt.Errorf("logsink: policy=%d: unknown policy (want block or drop)", int(c.Policy)))
	}
	return errors.Join(errs...)
}

// Options returns the options that apply c, for New. Zero fields give no
// option, so New's defaults hold.
func (c Config) Options() []Option {
	var opts []Option
	if c.BufferSize > 0 {
		opts = append(opts, WithBufferSize(c.BufferSize))
	}
	if c.HighWaterMark > 0 {
		opts = append(opts, WithHighWaterMark(c.HighWaterMark))
	}
	if c.FlushInterval > 0 {
		opts = append(opts, WithFlushInterval(c.FlushInterval))
	}
	if c.Policy != Block {
		opts = append(opts, WithPolicy(c.Policy))
	}
	if c.BlockTimeout > 0 {
		opts = append(opts, WithBlockTimeout(c.BlockTimeout))
	}
	if c.CloseTimeout > 0 {
		opts = append(opts, WithCloseTimeout(c.CloseTimeout))
	}
	if c.KeepTimeout > 0 {
		opts = append(opts, WithKeepTimeout(c.KeepTimeout))
	}
	return opts
}

// UnmarshalJSON decodes the text forms. Unknown keys are errors.
func (c *Config) UnmarshalJSON(data []byte) error {
	return confkit.DecodeJSON(c, data)
}

// MarshalJSON encodes the non-zero settings in their text forms.
func (c Config) MarshalJSON() ([]byte, error) {
	return confkit.MarshalJSON(&c)
}

// UnmarshalYAML decodes the text forms for gopkg.in/yaml.v3 (and v2).
// Unknown keys are errors.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	return confkit.DecodeYAML(c, unmarshal)
}

// MarshalYAML encodes the non-zero settings in their text forms.
func (c Config) MarshalYAML() (any, error) {
	return confkit.MarshalYAML(&c)
}
