package stdout_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/streamsink/streamsink/internal/conftest"
	"github.com/streamsink/streamsink/logsink"
	_ "github.com/streamsink/streamsink/stdout"
)

func TestBuildBadURL(t *testing.T) {
	tests := []struct {
		give string
		want []string
	}{
		{give: "stream:stdin", want: []string{`"stdin"`}},
		{give: "stream:stdout?colour=red", want: []string{`"colour"`}},
		{give: "stream:stdout?policy=sometimes", want: []string{"policy", "sometimes"}},
		{give: "stream:stderr?buffer_size=banana", want: []string{"buffer_size", "banana"}},
		{give: "stream:stdout?flush_interval=-5s", want: []string{"flush_interval", "-5s"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			cfg := zap.NewProductionConfig()
			cfg.OutputPaths = []string{tt.give}
			logger, closeAll, err := logsink.Build(cfg)
			require.Error(t, err, "Build with %q", tt.give)
			assert.Nil(t, logger, "no logger")
			assert.Nil(t, closeAll, "no close function")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "the error names the parameter and value")
			}
		})
	}
}

// A failed open leaves nothing behind: the same target opens right after.
func TestSchemeFailedOpenCanBeRetried(t *testing.T) {
	for _, bad := range []string{
		"stream:stderr?buffer_size=4611686018427387904",
		"stream:stderr?flush_interval=1ns",
		"stream:stderr?policy=sometimes",
	} {
		t.Run(bad, func(t *testing.T) {
			conftest.RetryAfterFailedOpen(t, bad, "stream:stderr?buffer_size=4KiB")
		})
	}
}
