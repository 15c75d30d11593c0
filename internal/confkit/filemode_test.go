package confkit

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFileMode(t *testing.T) {
	for _, tt := range []struct {
		give string
		want os.FileMode
	}{
		{"0640", 0o640}, {"640", 0o640}, {"0o600", 0o600}, {"0O777", 0o777}, {" 0644 ", 0o644}, {"0", 0},
	} {
		got, err := ParseFileMode(tt.give)
		require.NoError(t, err, "ParseFileMode(%q)", tt.give)
		assert.Equal(t, tt.want, got, "ParseFileMode(%q)", tt.give)
		again, err := ParseFileMode(FormatFileMode(got))
		require.NoError(t, err, "ParseFileMode(FormatFileMode(%v))", got)
		assert.Equal(t, got, again, "round trip through %q", FormatFileMode(got))
	}
}

func TestParseFileModeErrors(t *testing.T) {
	for _, tt := range []struct {
		give, want string
	}{
		{"0999", "octal"}, {"rw-r-----", "octal"}, {"", "octal"}, {"+640", "octal"}, {"-640", "octal"},
		{"01000", "not permission bits"}, {"7777", "not permission bits"}, {"0o", "octal"},
	} {
		_, err := ParseFileMode(tt.give)
		require.Error(t, err, "ParseFileMode(%q)", tt.give)
		assert.Contains(t, err.Error(), tt.want, "ParseFileMode(%q)", tt.give)
		assert.Contains(t, err.Error(), `"`+tt.give+`"`, "the error names the value")
	}
}

func TestFormatFileMode(t *testing.T) {
	assert.Equal(t, "0640", FormatFileMode(0o640), "leading 0")
	assert.Equal(t, "0", FormatFileMode(0), "zero")
}
