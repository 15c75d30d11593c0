package stdout

import (
	"errors"
	"fmt"
	"os"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Targets that Config.Target and the stream URL scheme accept.
const (
	TargetStdout = "stdout"
	TargetStderr = "stderr"
)

// Config describes a standard output or standard error stream, for config
// files and the "stream" zap sink scheme. The zero value means standard
// output with the defaults.
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
	// flush_interval, policy, block_timeout and close_timeout. FlushInterval
	// defaults to DefaultFlushInterval (100ms) if unspecified; the others
	// default as in logsink.
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

// Open validates c and returns a stream over the target, with this
// package's defaults, then c's settings, then opts: later ones win.
func (c Config) Open(opts ...logsink.Option) (*logsink.Stream, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.SurviveBrokenPipe {
		SurviveBrokenPipe()
	}
	f := os.Stdout
	if c.Target == TargetStderr {
		f = os.Stderr
	}
	return NewFile(f, append(c.Config.Options(), opts...)...), nil
}

// UnmarshalJSON decodes the text forms (sizes such as 64KiB, durations such
// as 50ms, policy block or drop). Unknown keys are errors.
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
