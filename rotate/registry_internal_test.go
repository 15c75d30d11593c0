package rotate

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNoSizeLimitCannotOverflow(t *testing.T) {
	assert.Positive(t, int64(noSizeLimit)*(1<<20), "lumberjack's MaxSize in bytes must stay positive")
}

func TestMaxAgeDays(t *testing.T) {
	tests := []struct {
		give time.Duration
		want int
	}{
		{give: 0, want: 0},
		{give: time.Nanosecond, want: 1},
		{give: 24 * time.Hour, want: 1},
		{give: 36 * time.Hour, want: 2},
		{give: 7 * 24 * time.Hour, want: 7},
		{give: math.MaxInt64, want: 106752},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, maxAgeDays(tt.give), "maxAgeDays(%s)", tt.give)
	}
}
