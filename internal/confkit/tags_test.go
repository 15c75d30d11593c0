package confkit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type goodInner struct {
	Size size `json:"size,omitempty" yaml:"size,omitempty"`
}

type goodConfig struct {
	Name      string        `json:"name" yaml:"name"`
	Wait      time.Duration `json:"wait,omitempty" yaml:"wait,omitempty"`
	Hook      func()        `json:"-" yaml:"-"`
	goodInner `yaml:",inline"`
}

func TestCheckTagsAcceptsAGoodConfig(t *testing.T) {
	assert.NoError(t, CheckTags(&goodConfig{}), "CheckTags")
}

type badInner struct {
	Max     int64 `json:"max" yaml:"max" conf:"size"`
	MaxSize int64 `json:"max_size" yaml:"max_size"`
}

type badConfig struct {
	Name     string `json:"name" yaml:"nom"`
	Wait     int    `json:"wait,omitempty" yaml:"wait"`
	NoYAML   string `json:"no_yaml"`
	Nameless string `json:",omitempty" yaml:",omitempty"`
	badInner
}

type marshaling struct {
	A int `json:"a" yaml:"a"`
}

func (marshaling) MarshalJSON() ([]byte, error) { return nil, nil }

func (*marshaling) UnmarshalYAML(func(any) error) error { return nil }

func TestCheckTagsReportsEveryProblem(t *testing.T) {
	err := CheckTags(&badConfig{})
	require.Error(t, err, "CheckTags")
	for _, w := range []string{
		`Name: json:"name" and yaml:"nom" differ`,
		`Wait: json:"wait,omitempty" and yaml:"wait" differ`,
		"NoYAML: wants both a json and a yaml tag",
		`Nameless: json:",omitempty" has no name`,
		`badInner: embedded config wants no json tag and yaml:",inline"`,
		`badInner.Max: conf:"size" tag`,
		`badInner.MaxSize: max_size is a size without a text form (use logsink.Size)`,
	} {
		assert.Contains(t, err.Error(), w, "CheckTags")
	}

	err = CheckTags(&marshaling{})
	require.Error(t, err, "CheckTags with marshal methods")
	assert.Contains(t, err.Error(), "MarshalJSON method", "a value method")
	assert.Contains(t, err.Error(), "UnmarshalYAML method", "a pointer method")
}
