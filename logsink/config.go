package logsink

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamsink/streamsink/internal/confkit"
)

// Config holds a stream's settings in a form that config files and sink
// URLs decode into. Destination configs (rotate.Config, stdout.Config,
// netsink.Config) embed it, so the same names work everywhere. The zero
// value means defaults; Go callers fill it with plain values (BufferSize:
// 4 << 20, FlushInterval: 250 * time.Millisecond).
//
// Config has no marshal methods of its own, so a struct that embeds it (or
// a destination config) keeps its own encoding; the field types carry the
// text forms. Sizes are text such as 512, 64KiB or 100MB in JSON, YAML and
// URL queries (a JSON number of bytes works too); the policy is block or
// drop; durations use Go's syntax (500ms, 1h) in YAML and URL queries,
// while encoding/json writes and reads them as integer nanoseconds.
type Config struct {
	// BufferSize is the hard cap on buffered bytes. At most MaxBufferSize.
	// Defaults to 1 MiB if unspecified.
	BufferSize Size `json:"buffer_size,omitempty" yaml:"buffer_size,omitempty"`
	// HighWaterMark is the buffered size that starts a flush; it is
	// clamped to BufferSize. At most MaxBufferSize. Defaults to 16 KiB if
	// unspecified.
	HighWaterMark Size `json:"high_water_mark,omitempty" yaml:"high_water_mark,omitempty"`
	// FlushInterval is how often whatever is buffered is written. At least
	// MinFlushInterval. Defaults to 1s if unspecified.
	FlushInterval time.Duration `json:"flush_interval,omitempty" yaml:"flush_interval,omitempty"`
	// Policy is what Write does when the buffer is full. Defaults to Block
	// if unspecified.
	Policy Policy `json:"policy,omitempty" yaml:"policy,omitempty"`
	// BlockTimeout bounds a blocked Write; then the entry is dropped.
	// Defaults to 0 (no bound) if unspecified.
	BlockTimeout time.Duration `json:"block_timeout,omitempty" yaml:"block_timeout,omitempty"`
	// CloseTimeout bounds Close and End in every case (a failing or hung
	// destination, a spill to save to), and each Sync, Flush, Rotate and
	// Reopen (WithCloseTimeout). Defaults to 5s if unspecified.
	CloseTimeout time.Duration `json:"close_timeout,omitempty" yaml:"close_timeout,omitempty"`
	// KeepTimeout bounds how long a kept entry (WriteKeep, NewCore's
	// warnings) waits for room under Drop. Defaults to 1s if unspecified.
	KeepTimeout time.Duration `json:"keep_timeout,omitempty" yaml:"keep_timeout,omitempty"`
	// SpillDir puts a spill on disk between the buffer and the destination
	// (WithSpill): an existing directory that only this stream uses.
	// Defaults to no spill if unspecified.
	SpillDir string `json:"spill_dir,omitempty" yaml:"spill_dir,omitempty"`
	// SpillMaxSize is the most the spill holds on disk, records included;
	// past it the policy decides. Defaults to 1 GiB if unspecified.
	SpillMaxSize Size `json:"spill_max_size,omitempty" yaml:"spill_max_size,omitempty"`
}

// Validate reports every bad value, each naming its setting and the value:
// negative sizes and durations, a buffer size or high-water mark above
// MaxBufferSize, a flush interval below MinFlushInterval (New would clamp
// them), and an unknown policy. These values decode from JSON, YAML and URL
// queries, so that it is Validate, which knows the setting's name, that
// refuses them, in the same words whichever way the config came:
// "logsink: buffer_size=-1: must not be negative".
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("logsink: "+format, args...))
	}
	bad := func(err error) { errs = append(errs, fmt.Errorf("logsink: %w", err)) }
	for _, f := range []struct {
		name string
		v    Size
	}{{"buffer_size", c.BufferSize}, {"high_water_mark", c.HighWaterMark}} {
		switch {
		case f.v < 0:
			bad(confkit.Negative(f.name, f.v))
		case f.v > MaxBufferSize:
			bad(confkit.AboveMax(f.name, f.v, Size(MaxBufferSize)))
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
		min  time.Duration // above zero, which means the default
	}{
		{"flush_interval", c.FlushInterval, MinFlushInterval},
		{"block_timeout", c.BlockTimeout, 0},
		{"close_timeout", c.CloseTimeout, 0},
		{"keep_timeout", c.KeepTimeout, 0},
	} {
		switch {
		case f.v < 0:
			bad(confkit.Negative(f.name, f.v))
		case f.v > 0 && f.v < f.min:
			bad(confkit.BelowMin(f.name, f.v, f.min))
		}
	}
	if c.Policy != Block && c.Policy != Drop {
		add("policy=%d: unknown policy (want block or drop)", int(c.Policy))
	}
	switch {
	case c.SpillMaxSize < 0:
		bad(confkit.Negative("spill_max_size", c.SpillMaxSize))
	case c.SpillMaxSize > 0 && c.SpillDir == "":
		add("spill_max_size=%s: set without spill_dir", c.SpillMaxSize)
	}
	return errors.Join(errs...)
}

// Options returns the options that apply c, for New or Open. Zero fields
// give no option, so the defaults hold.
func (c Config) Options() []Option {
	var opts []Option
	if c.BufferSize > 0 {
		opts = append(opts, WithBufferSize(int(min(c.BufferSize, MaxBufferSize))))
	}
	if c.HighWaterMark > 0 {
		opts = append(opts, WithHighWaterMark(int(min(c.HighWaterMark, MaxBufferSize))))
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
	if c.SpillDir != "" {
		opts = append(opts, WithSpill(c.SpillDir, int64(c.SpillMaxSize)))
	}
	return opts
}
