package rotate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day1 = 24 * time.Hour

func TestLimitsExpired(t *testing.T) {
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	// Oldest first, as listBackups returns them.
	bs := []backup{
		{name: "a", t: day(9), size: 100},
		{name: "b", t: day(5), size: 100},
		{name: "c", t: day(3), size: 300},
		{name: "d", t: day(1), size: 100},
		{name: "e", t: day(0), size: 100},
	}
	names := func(bs []backup) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.name)
		}
		return out
	}
	tests := []struct {
		name   string
		limits limits
		active int64
		held   map[string]bool
		want   []string
	}{
		{name: "no limits"},
		{name: "max_backups", limits: limits{maxBackups: 2}, want: []string{"a", "b", "c"}},
		{name: "max_backups above the count", limits: limits{maxBackups: 9}},
		{name: "max_age", limits: limits{maxAge: 4 * day1}, want: []string{"a", "b"}},
		{name: "max_total_size, oldest first", limits: limits{maxTotal: 500}, want: []string{"a", "b"}},
		{name: "max_total_size counts the active file", limits: limits{maxTotal: 500}, active: 100, want: []string{"a", "b", "c"}},
		{name: "max_total_size after max_age", limits: limits{maxAge: 6 * day1, maxTotal: 400}, want: []string{"a", "b", "c"}},
		{name: "all three", limits: limits{maxBackups: 4, maxAge: 8 * day1, maxTotal: 550}, want: []string{"a", "b"}},
		{name: "held backups stay but count", limits: limits{maxTotal: 200}, held: map[string]bool{"a": true, "e": true}, want: []string{"b", "c", "d"}},
		{name: "held backups stay past max_backups", limits: limits{maxBackups: 1}, held: map[string]bool{"d": true}, want: []string{"a", "b", "c"}},
		{name: "everything, if the active file alone passes the cap", limits: limits{maxTotal: 50}, active: 60, want: []string{"a", "b", "c", "d", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, names(tt.limits.expired(bs, now, tt.active, tt.held)), "expired")
		})
	}
}

func TestListBackups(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{
		"app.log":                                 5,
		"app-2024-05-01T10-00-00.000.log":         100, // uncompressed
		"app-2024-05-01T09-00-00.000.log.gz":      10,  // compressed
		"app-2024-05-01T11-00-00.000.log":         100, // being compressed: both count
		"app-2024-05-01T11-00-00.000.log.gz.tmp":  7,
		"app-2024-05-01T12-00-00.000.log.gz.tmp":  3, // left by a crash
		"app-2024-05-01T13-00-00.000.txt":         1, // not ours
		"other-2024-05-01T10-00-00.000.log":       1,
		"app-yesterday.log":                       1,
		".app.log.rotate-1":                       1,
		"app-2024-05-01T08-00-00.000.log.gz.keep": 1,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600), "write %s", name)
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "app-2024-05-01T07-00-00.000.log"), 0o700), "a directory")

	got, err := listBackups(filepath.Join(dir, "app.log"), time.UTC)
	require.NoError(t, err, "listBackups")
	at := func(h int) time.Time { return time.Date(2024, 5, 1, h, 0, 0, 0, time.UTC) }
	p := func(n string) string { return filepath.Join(dir, n) }
	assert.Equal(t, []backup{
		{name: p("app-2024-05-01T09-00-00.000.log"), t: at(9), gz: true, size: 10},
		{name: p("app-2024-05-01T10-00-00.000.log"), t: at(10), plain: true, size: 100},
		{name: p("app-2024-05-01T11-00-00.000.log"), t: at(11), plain: true, tmp: true, size: 107},
		{name: p("app-2024-05-01T12-00-00.000.log"), t: at(12), tmp: true, size: 3},
	}, got, "backups, oldest first")
}
