package measure

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStallRecord(t *testing.T) {
	want := StallRecord{Kind: StallKind, Stalls: true, Sink: "stream-drop", Producers: 4,
		Entries: 100, Size: 256, Every: 1 << 20, Pause: 200 * time.Millisecond, BufferSize: 1 << 20,
		Max: 3 * time.Millisecond, Slow: 1, Written: 100, Delivered: 90, SinkDropped: 10, DstWrites: 2}
	want.SetLatency(Latency{P50: 1, P99: 2, P999: 3, P9999: 4, Max: 5, Slow: 6})
	b, err := json.Marshal(want)
	require.NoError(t, err, "marshal")

	got, ok := ParseStallRecord(string(b))
	require.True(t, ok, "a record parses: %s", b)
	assert.Equal(t, want, got, "round trip")

	tests := []struct {
		name string
		give string
	}{
		{name: "benchmark line", give: "BenchmarkZap/serial/discard-2 	 10	 12 ns/op"},
		{name: "other JSON", give: `{"kind":"other","sink":"bws"}`},
		{name: "broken JSON", give: `{"kind":"stall",`},
		{name: "empty", give: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := ParseStallRecord(tt.give)
			assert.False(t, ok, "not a stall record: %q", tt.give)
		})
	}
}
