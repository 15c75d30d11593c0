package logsink_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
)

func TestFileModeText(t *testing.T) {
	for _, tt := range []struct {
		give logsink.FileMode
		want string
	}{
		{0o640, "0640"}, {0o600, "0600"}, {0o777, "0777"}, {0, "0"},
	} {
		assert.Equal(t, tt.want, tt.give.String(), "String")
		b, err := tt.give.MarshalText()
		require.NoError(t, err, "MarshalText")
		var got logsink.FileMode
		require.NoError(t, got.UnmarshalText(b), "UnmarshalText(%s)", b)
		assert.Equal(t, tt.give, got, "round trip through %s", b)
	}
}

func TestFileModeDecode(t *testing.T) {
	type doc struct {
		Mode logsink.FileMode `json:"mode" yaml:"mode"`
	}
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		want     logsink.FileMode
	}{
		{"octal text", `{"mode":"0640"}`, `mode: "0640"`, 0o640},
		{"without the 0", `{"mode":"600"}`, `mode: "600"`, 0o600},
		{"0o prefix", `{"mode":"0o644"}`, `mode: 0o644`, 0o644},
		{"unquoted YAML is octal text; a JSON number is the value", `{"mode":416}`, `mode: 0640`, 0o640},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fromJSON, fromYAML doc
			require.NoError(t, json.Unmarshal([]byte(tt.giveJSON), &fromJSON), "JSON")
			assert.Equal(t, tt.want, fromJSON.Mode, "JSON %s", tt.giveJSON)
			require.NoError(t, yaml.Unmarshal([]byte(tt.giveYAML), &fromYAML), "YAML")
			assert.Equal(t, tt.want, fromYAML.Mode, "YAML %s", tt.giveYAML)
		})
	}
	for _, give := range []string{`{"mode":"0999"}`, `{"mode":640}`, `{"mode":-1}`, `{"mode":true}`, `{"mode":"rw-r-----"}`} {
		var d doc
		assert.Error(t, json.Unmarshal([]byte(give), &d), "JSON %s", give)
	}
	for _, give := range []string{`mode: 0999`, `mode: 01000`, `mode: rw`} {
		var d doc
		assert.Error(t, yaml.Unmarshal([]byte(give), &d), "YAML %s", give)
	}
}
