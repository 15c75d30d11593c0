package netsink_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/netsink"
)

func TestMessageSizeText(t *testing.T) {
	tests := []struct {
		give string
		want netsink.MessageSize
	}{
		{give: "8KiB", want: 8 << 10},
		{give: "65536", want: 64 << 10},
		{give: "0", want: netsink.NoMessageLimit},
		{give: "none", want: netsink.NoMessageLimit},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var cfg netsink.Config
			require.NoError(t, json.Unmarshal([]byte(`{"address":"h:1","max_message_size":"`+tt.give+`"}`), &cfg), "decode")
			assert.Equal(t, tt.want, cfg.MaxMessageSize, "decoded")
			b, err := json.Marshal(cfg)
			require.NoError(t, err, "encode")
			var back netsink.Config
			require.NoError(t, json.Unmarshal(b, &back), "decode %s", b)
			assert.Equal(t, tt.want, back.MaxMessageSize, "round trip through %s", b)
		})
	}
	var cfg netsink.Config
	err := json.Unmarshal([]byte(`{"address":"h:1","max_message_size":"lots"}`), &cfg)
	assert.ErrorContains(t, err, `invalid size "lots"`, "a bad size says what is wrong")
	require.NoError(t, json.Unmarshal([]byte(`{"address":"h:1","max_message_size":0}`), &cfg), "a JSON number")
	assert.Equal(t, netsink.NoMessageLimit, cfg.MaxMessageSize, "0 is no limit in text")
}
