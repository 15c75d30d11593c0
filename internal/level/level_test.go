package level_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamsink/streamsink/internal/level"
)

func TestParse(t *testing.T) {
	tests := []struct {
		give   string
		want   int
		wantOK bool
	}{
		{give: "debug", want: level.Debug, wantOK: true},
		{give: "info", want: level.Info, wantOK: true},
		{give: "warn", want: level.Warning, wantOK: true},
		{give: "error", want: level.Error, wantOK: true},
		{give: "dpanic", want: level.Critical, wantOK: true},
		{give: "panic", want: level.Critical, wantOK: true},
		{give: "fatal", want: level.Critical, wantOK: true},
		{give: "WARN", want: level.Warning, wantOK: true}, // zap's capital encoder, slog
		{give: "Error", want: level.Error, wantOK: true},
		{give: "trace", want: level.Debug, wantOK: true},
		{give: "informational", want: level.Info, wantOK: true},
		{give: "notice", want: level.Notice, wantOK: true},
		{give: "warning", want: level.Warning, wantOK: true},
		{give: "err", want: level.Error, wantOK: true},
		{give: "crit", want: level.Critical, wantOK: true},
		{give: "critical", want: level.Critical, wantOK: true},
		{give: "alert", want: level.Alert, wantOK: true},
		{give: "emerg", want: level.Emergency, wantOK: true},
		{give: "emergency", want: level.Emergency, wantOK: true},
		{give: "", wantOK: false},
		{give: "loud", wantOK: false},
		{give: "warnings", wantOK: false},
		{give: "inf", wantOK: false},
		{give: "informationally", wantOK: false},
	}
	for _, tt := range tests {
		got, ok := level.Parse([]byte(tt.give))
		assert.Equal(t, tt.wantOK, ok, "Parse(%q) ok", tt.give)
		if tt.wantOK {
			assert.Equal(t, tt.want, got, "Parse(%q)", tt.give)
		}
	}
}

func TestNamesAllParse(t *testing.T) {
	names := level.Names()
	assert.Len(t, names, 17, "every name")
	for _, n := range names {
		got, ok := level.Parse([]byte(n.Name))
		assert.True(t, ok, "Parse(%q)", n.Name)
		assert.Equal(t, n.Severity, got, "Parse(%q)", n.Name)
	}
	names[0].Name = "changed"
	assert.Equal(t, "debug", level.Names()[0].Name, "Names returns a copy")
}

func TestOf(t *testing.T) {
	tests := []struct {
		give   string
		want   int
		wantOK bool
	}{
		{give: `{"level":"debug","msg":"x"}`, want: 7, wantOK: true},
		{give: `{"ts":1.5,"level":"warn","msg":"x"}`, want: 4, wantOK: true},
		{give: `{"level":"ERROR"}`, want: 3, wantOK: true},
		{give: `{"msg":"quoted \"level\":\"error\" is not a key","level":"debug"}`, want: 7, wantOK: true},
		{give: `{"msg":"no level"}`},
		{give: `{"level":"chatty"}`},
		{give: `{"level":"info`},
		{give: `{"level":""}`},
		{give: "2024-05-06T07:08:09.000Z\tERROR\tboom", want: 3, wantOK: true}, // console encoder
		{give: "WARN\tno time", want: 4, wantOK: true},
		{give: "info", want: 6, wantOK: true},
		{give: "2024-05-06\tsvc\tmain.go:1\tINFO\tfourth field"},
		{give: "plain text"},
		{give: ""},
	}
	pat := level.Pattern("level")
	for _, tt := range tests {
		got, ok := level.Of([]byte(tt.give), pat)
		assert.Equal(t, tt.wantOK, ok, "Of(%q) ok", tt.give)
		if tt.wantOK {
			assert.Equal(t, tt.want, got, "Of(%q)", tt.give)
		}
	}
	got, ok := level.Of([]byte(`{"lvl":"error","level":"info"}`), level.Pattern("lvl"))
	assert.True(t, ok, "a custom level key")
	assert.Equal(t, 3, got, "a custom level key")
	_, ok = level.Of([]byte(`{"level":"error"}`), nil)
	assert.False(t, ok, "no level key: JSON entries have no level")
}

func TestOfAllocatesNothing(t *testing.T) {
	entry := []byte(`{"level":"warn","ts":1.5,"msg":"slow upstream","took":"1.5s"}`)
	pat := level.Pattern("level")
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := level.Of(entry, pat); !ok {
			t.Fatal("no level")
		}
	})
	assert.Zero(t, allocs, "allocations per Of")
}
