package confkit

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A size's text may be negative, for the config's Validate to refuse by
// name; ParseSize, a size on its own, refuses it.
func TestParseSizeTextNegative(t *testing.T) {
	for _, tt := range []struct {
		give string
		want int64
	}{
		{"-1", -1}, {"-1KiB", -1 << 10}, {"-100MB", -100_000_000}, {" -2 GiB ", -2 << 30}, {"-0", 0},
		{"-8388608TiB", math.MinInt64}, {"-9223372036854775808", math.MinInt64},
	} {
		got, err := ParseSizeText(tt.give)
		require.NoError(t, err, "ParseSizeText(%q)", tt.give)
		assert.Equal(t, tt.want, got, "ParseSizeText(%q)", tt.give)
		again, err := ParseSizeText(FormatSize(got))
		require.NoError(t, err, "ParseSizeText(FormatSize(%d))", got)
		assert.Equal(t, got, again, "round trip through %q", FormatSize(got))
		if got < 0 {
			_, err := ParseSize(tt.give)
			assert.ErrorContains(t, err, strconv.Quote(tt.give)+": must not be negative", "ParseSize(%q)", tt.give)
		}
	}
}

// What does not parse is quoted with the forms a size takes: the error a
// decoder that knows no key (YAML's) hands on as it is.
func TestParseSizeTextErrors(t *testing.T) {
	for _, tt := range []struct {
		give, want string
	}{
		{"lots", `invalid size "lots": want bytes or a number with a unit such as 64KiB or 100MB`},
		{"+5", `invalid size "+5": want bytes`},
		{"- 5", `invalid size "- 5": want bytes`},
		{"--5", `invalid size "--5": want bytes`},
		{"1.5MiB", `invalid size "1.5MiB": want bytes`},
		{"-8388609TiB", `invalid size "-8388609TiB": too large`},
		{"8388608TiB", `invalid size "8388608TiB": too large`},
	} {
		_, err := ParseSizeText(tt.give)
		require.Error(t, err, "ParseSizeText(%q)", tt.give)
		assert.True(t, strings.HasPrefix(err.Error(), tt.want), "ParseSizeText(%q): %q, want it to begin %q", tt.give, err, tt.want)
	}
}
