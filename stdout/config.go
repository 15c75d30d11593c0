package stdout

import (
	"errors"
	"fmt"
	"os"

	"github.com/streamsink/streamsink/logsink"
)

// Targets that Config.Target and the stream URL scheme accept.
const (
	TargetStdout = "stdout"
	TargetStderr = "stderr"
)

// Config describes a standard output or standard error stream, for config
// files and the "stream" URL scheme. The zero value means standard output
// with the defaults. Config has no marshal methods, so it embeds in a
// service's own config struct without taking over that struct's encoding.
//
// In JSON and YAML the stream settings sit beside target, flattened:
//
//	target: stderr
//	policy: drop
//	buffer_size: 256KiB
//	flush_interval: 50ms
//	survive_broken_pipe: true
type Config struct {
	// Target is "stdout" or "stderr". Defaults to "stdout" if unspecified.
	Target string `json:"target,omitempty" yaml:"target,omitempty"`

	// Config holds the stream settings: buffer_size, high_water_mark,
	// flush_interval, policy, block_timeout, close_timeout and
	// keep_timeout. FlushInterval defaults to DefaultFlushInterval (100ms)
	// if unspecified; the others default as in logsink.
	logsink.Config `yaml:",inline"`

	// SurviveBrokenPipe calls SurviveBrokenPipe when the stream is opened,
	// so that the process survives its reader going away. It changes the
	// whole process. Defaults to false (Go's behaviour: a write to a broken
	// pipe on standard output or standard error kills the process with
	// SIGPIPE) if unspecified.
	SurviveBrokenPipe bool `json:"survive_broken_pipe,omitempty" yaml:"survive_broken_pipe,omitempty"`
}

// Validate reports every bad value, each naming its setting and the value.
func (c Config) Validate() error {
	var errs []error
	switch c.Target {
	case "", TargetStdout, TargetStderr:
	default:
		errs = append(errs, fmt.Errorf("stdout: target=%q: unknown target (want %s or %s)", c.Target, TargetStdout, TargetStderr))
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Open validates cfg and returns a stream over its target, with this
// package's defaults, then cfg's settings, then opts: later ones win.
// Closing the stream flushes it but leaves the target open.
func Open(cfg Config, opts ...logsink.Option) (*logsink.Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SurviveBrokenPipe {
		SurviveBrokenPipe()
	}
	f := os.Stdout
	if cfg.Target == TargetStderr {
		f = os.Stderr
	}
	return logsink.Open(file{f: f}, append(append(defaults(), cfg.Config.Options()...), opts...)...)
}
