package bench_test

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/streamsink/streamsink/logsink"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamWriteAllocs pins the allocation count of Stream.Write, under
// both policies, for the 256-byte line of BenchmarkRaw. 4000 lines stay
// below the default 1 MiB buffer, so no Write waits for room.
func TestStreamWriteAllocs(t *testing.T) {
	tests := []struct {
		give logsink.Policy
		want float64
	}{
		{give: logsink.Block, want: 0},
		{give: logsink.Drop, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.give.String(), func(t *testing.T) {
			s := logsink.New(io.Discard, logsink.WithPolicy(tt.give))
			got := testing.AllocsPerRun(4000, func() {
				if _, err := s.Write(rawLine); err != nil {
					t.Error(err)
				}
			})
			require.NoError(t, s.Close(), "close")
			assert.Equal(t, tt.want, got, "allocations per Write")
			st := s.Stats()
			assert.Zero(t, st.Dropped, "entries dropped")
			assert.Equal(t, uint64(4001), st.Entries, "entries accepted (AllocsPerRun makes one warm-up call)")
		})
	}
}

func TestRawLine(t *testing.T) {
	assert.Len(t, rawLine, 256, "raw line length")
	assert.Equal(t, byte('\n'), rawLine[len(rawLine)-1], "raw line ends in a newline")
	assert.True(t, json.Valid(rawLine), "raw line is JSON: %s", rawLine)
}
