package rotate

import (
	"testing"
	"time"
	_ "time/tzdata" // America/New_York, wherever the tests run

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextBoundary(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err, "load America/New_York")
	ist := time.FixedZone("IST", 5*3600+30*60)
	utc := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }

	tests := []struct {
		name  string
		every time.Duration
		loc   *time.Location
		give  time.Time
		want  time.Time
	}{
		{name: "daily", every: 24 * time.Hour, loc: time.UTC, give: utc(2024, 5, 1, 23, 59), want: utc(2024, 5, 2, 0, 0)},
		{name: "daily on midnight", every: 24 * time.Hour, loc: time.UTC, give: utc(2024, 5, 2, 0, 0), want: utc(2024, 5, 3, 0, 0)},
		{name: "hourly", every: time.Hour, loc: time.UTC, give: utc(2024, 5, 1, 10, 1), want: utc(2024, 5, 1, 11, 0)},
		{name: "quarter hours", every: 15 * time.Minute, loc: time.UTC, give: utc(2024, 5, 1, 10, 7), want: utc(2024, 5, 1, 10, 15)},
		{name: "7h within a day", every: 7 * time.Hour, loc: time.UTC, give: utc(2024, 5, 1, 6, 59), want: utc(2024, 5, 1, 7, 0)},
		{name: "7h cut short at midnight", every: 7 * time.Hour, loc: time.UTC, give: utc(2024, 5, 1, 22, 0), want: utc(2024, 5, 2, 0, 0)},
		{name: "weekly on Monday", every: 7 * 24 * time.Hour, loc: time.UTC, give: utc(2024, 5, 1, 12, 0), want: utc(2024, 5, 6, 0, 0)},
		{name: "midnight in a fixed zone", every: 24 * time.Hour, loc: ist, give: utc(2024, 5, 1, 18, 0), want: utc(2024, 5, 1, 18, 30)},
		{name: "hour in a half-hour zone", every: time.Hour, loc: ist, give: utc(2024, 5, 1, 18, 0), want: utc(2024, 5, 1, 18, 30)},
		// 2024-03-10: New York skips from 02:00 EST to 03:00 EDT.
		{name: "daily over spring forward", every: 24 * time.Hour, loc: ny,
			give: time.Date(2024, 3, 10, 0, 30, 0, 0, ny), want: time.Date(2024, 3, 11, 0, 0, 0, 0, ny)},
		{name: "hourly into the skipped hour", every: time.Hour, loc: ny,
			give: time.Date(2024, 3, 10, 1, 30, 0, 0, ny), want: utc(2024, 3, 10, 7, 0)},
		// 2024-11-03: New York goes back from 02:00 EDT to 01:00 EST.
		{name: "hourly over fall back", every: time.Hour, loc: ny,
			give: utc(2024, 11, 3, 5, 30), want: utc(2024, 11, 3, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nextBoundary(tt.give, tt.every, tt.loc)
			assert.True(t, tt.want.Equal(got), "nextBoundary(%s, %s) = %s, want %s", tt.give, tt.every, got.In(tt.loc), tt.want.In(tt.loc))
		})
	}
}
