package rotate_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/rotate"
)

func TestSwitchTextForms(t *testing.T) {
	tests := []struct {
		give string
		want rotate.Switch
	}{
		{give: "true", want: rotate.On},
		{give: "TRUE", want: rotate.On},
		{give: "1", want: rotate.On},
		{give: "on", want: rotate.On},
		{give: "", want: rotate.On},
		{give: "false", want: rotate.Off},
		{give: "False", want: rotate.Off},
		{give: "0", want: rotate.Off}, // mapstructure's weak typing turns false into "0"
		{give: " off ", want: rotate.Off},
	}
	for _, tt := range tests {
		var got rotate.Switch
		require.NoError(t, got.UnmarshalText([]byte(tt.give)), "UnmarshalText(%q)", tt.give)
		assert.Equal(t, tt.want, got, "UnmarshalText(%q)", tt.give)
	}
	var sw rotate.Switch
	assert.ErrorContains(t, sw.UnmarshalText([]byte("maybe")), "true or false", "not a boolean")
}

func TestSwitchWithPlainDecoders(t *testing.T) {
	// A service's own config struct, decoded without rotate.Config's
	// methods: JSON booleans and YAML booleans both work.
	type service struct {
		Follow rotate.Switch `json:"follow" yaml:"follow"`
	}
	var j service
	require.NoError(t, json.Unmarshal([]byte(`{"follow": false}`), &j), "JSON boolean")
	assert.Equal(t, rotate.Off, j.Follow, "JSON false")
	require.NoError(t, json.Unmarshal([]byte(`{"follow": "on"}`), &j), "JSON string")
	assert.Equal(t, rotate.On, j.Follow, "JSON \"on\"")
	assert.Error(t, json.Unmarshal([]byte(`{"follow": 7}`), &j), "JSON number")

	var y service
	require.NoError(t, yaml.Unmarshal([]byte("follow: false\n"), &y), "YAML boolean")
	assert.Equal(t, rotate.Off, y.Follow, "YAML false")

	b, err := json.Marshal(service{Follow: rotate.Off})
	require.NoError(t, err, "marshal")
	assert.JSONEq(t, `{"follow": false}`, string(b), "JSON form")
}

// JSON users write a boolean.
func TestSwitchFromJSONBoolean(t *testing.T) {
	for _, tt := range []struct {
		give string
		want rotate.Switch
	}{
		{`{"follow": false}`, rotate.Off},
		{`{"follow": true}`, rotate.On},
		{`{"follow": "off"}`, rotate.Off},
		{`{}`, rotate.On},
	} {
		var cfg rotate.Config
		require.NoError(t, json.Unmarshal([]byte(tt.give), &cfg), "unmarshal %s", tt.give)
		assert.Equal(t, tt.want, cfg.Follow, "%s", tt.give)
	}
	var cfg rotate.Config
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"follow": 3}`), &cfg), "want true or false")
}
