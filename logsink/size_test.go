package logsink_test

import (
	"encoding/json"
	"flag"
	"io"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
)

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		give string
		want int64
	}{
		{"0", 0},
		{"512", 512},
		{"64KiB", 64 << 10},
		{"64kib", 64 << 10},
		{"64KIB", 64 << 10},
		{"64 KiB", 64 << 10},
		{" 64KiB ", 64 << 10},
		{"1MiB", 1 << 20},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"1K", 1 << 10},
		{"1M", 1 << 20},
		{"1G", 1 << 30},
		{"1T", 1 << 40},
		{"1kB", 1000},
		{"1KB", 1000},
		{"100MB", 100_000_000},
		{"1GB", 1_000_000_000},
		{"1TB", 1_000_000_000_000},
		{"10B", 10},
		{"10 b", 10},
		{"007", 7},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775807B", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	} {
		t.Run(tt.give, func(t *testing.T) {
			got, err := logsink.ParseSize(tt.give)
			require.NoError(t, err, "ParseSize(%q)", tt.give)
			assert.Equal(t, tt.want, got, "ParseSize(%q)", tt.give)
		})
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, tt := range []struct {
		give string
		want string // besides the quoted input
	}{
		{"", "invalid size"},
		{"banana", "invalid size"},
		{"KiB", "invalid size"},
		{"B", "invalid size"},
		{"-1", "must not be negative"},
		{"-1KiB", "must not be negative"},
		{"+5", "invalid size"},
		{"1.5MiB", "invalid size"},
		{"1e3", "invalid size"},
		{"0x10", "invalid size"},
		{"1_000", "invalid size"},
		{"1 2KiB", "invalid size"},
		{"1PiB", "invalid size"},
		{"1KiBB", "invalid size"},
		{"KiB1", "invalid size"},
		{"8388608TiB", "too large"},
		{"9223372036854775808", "invalid size"},
		{"9223372036854775807KiB", "too large"},
	} {
		t.Run(tt.give, func(t *testing.T) {
			_, err := logsink.ParseSize(tt.give)
			require.Error(t, err, "ParseSize(%q)", tt.give)
			assert.Contains(t, err.Error(), strconv.Quote(tt.give), "the error names the input")
			assert.Contains(t, err.Error(), tt.want, "the error says what is wrong")
		})
	}
}

func TestFormatSize(t *testing.T) {
	for _, tt := range []struct {
		give int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{512, "512"},
		{1000, "1000"},
		{1024, "1KiB"},
		{1536, "1536"},
		{64 << 10, "64KiB"},
		{1 << 20, "1MiB"},
		{3 << 20, "3MiB"},
		{1<<20 + 1<<10, "1025KiB"},
		{100_000_000, "100000000"},
		{1 << 30, "1GiB"},
		{1 << 40, "1TiB"},
		{1 << 50, "1024TiB"},
		{math.MaxInt64, "9223372036854775807"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, logsink.FormatSize(tt.give), "FormatSize(%d)", tt.give)
			back, err := logsink.ParseSize(tt.want)
			require.NoError(t, err, "ParseSize(%q)", tt.want)
			assert.Equal(t, tt.give, back, "round trip")
		})
	}
}

// FuzzParseSize checks that ParseSize never panics, never returns a negative
// size, and that whatever it accepts FormatSize writes back to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{
		"0", "512", "64KiB", "64 kib", "100MB", "1GiB", "1T", "10B", " 7 ",
		"", "banana", "-1", "+5", "1.5MiB", "0x10", "KiB", "1PiB",
		"9223372036854775807", "9223372036854775808", "8388607TiB", "8388608TiB",
		"\u212aiB", "1\u212aiB", "١٢", "-0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := logsink.ParseSize(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseSize(%q): empty error", s)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		text := logsink.FormatSize(n)
		back, err := logsink.ParseSize(text)
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d; FormatSize = %q; ParseSize of that = %d, %v", s, n, text, back, err)
		}
	})
}

// FuzzFormatSize checks that FormatSize never panics and that ParseSize
// reads back every size it writes.
func FuzzFormatSize(f *testing.F) {
	for _, n := range []int64{0, 1, 1023, 1024, 1 << 20, 100_000_000, 1 << 40, 1 << 62, math.MaxInt64, -1, -1024, math.MinInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		text := logsink.FormatSize(n)
		if n < 0 {
			return // not a size; only must not panic
		}
		back, err := logsink.ParseSize(text)
		if err != nil || back != n {
			t.Fatalf("FormatSize(%d) = %q; ParseSize of that = %d, %v", n, text, back, err)
		}
	})
}

func TestSizeText(t *testing.T) {
	for _, tt := range []struct {
		give logsink.Size
		want string
	}{
		{0, "0"}, {512, "512"}, {64 << 10, "64KiB"}, {100 << 20, "100MiB"}, {100_000_000, "100000000"}, {1 << 40, "1TiB"},
	} {
		assert.Equal(t, tt.want, tt.give.String(), "String")
		b, err := tt.give.MarshalText()
		require.NoError(t, err, "MarshalText")
		assert.Equal(t, tt.want, string(b), "MarshalText")
		var got logsink.Size
		require.NoError(t, got.UnmarshalText(b), "UnmarshalText(%s)", b)
		assert.Equal(t, tt.give, got, "round trip through %s", b)
	}
}

func TestSizeUnmarshalJSON(t *testing.T) {
	for _, tt := range []struct {
		give string
		want logsink.Size
	}{
		{`"64KiB"`, 64 << 10}, {`"100MB"`, 100_000_000}, {`65536`, 65536}, {`0`, 0}, {`"512"`, 512}, {`null`, 7},
		// Negative sizes decode, for Validate to refuse by name.
		{`-1`, -1}, {`"-1"`, -1}, {`"-64KiB"`, -64 << 10},
	} {
		got := logsink.Size(7)
		require.NoError(t, json.Unmarshal([]byte(tt.give), &got), "Unmarshal(%s)", tt.give)
		assert.Equal(t, tt.want, got, "Unmarshal(%s)", tt.give)
	}
	for _, tt := range []struct {
		give, want string
	}{
		{`"banana"`, `invalid size "banana": want bytes or a number with a unit such as 64KiB or 100MB`},
		{`"+1"`, `invalid size "+1"`},
		{`1.5`, `invalid size "1.5"`},
		{`1e3`, `invalid size "1e3"`},
		{`true`, "cannot unmarshal bool into Go value of type logsink.Size"},
		{`[1]`, "cannot unmarshal array"},
		{`{}`, "cannot unmarshal object"},
	} {
		var got logsink.Size
		err := json.Unmarshal([]byte(tt.give), &got)
		require.Error(t, err, "Unmarshal(%s)", tt.give)
		assert.Contains(t, err.Error(), tt.want, "Unmarshal(%s)", tt.give)
		assert.Zero(t, got, "a bad value leaves the size alone")
	}
}

// Size reads command-line flags in its text form.
func TestSizeFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var size logsink.Size
	fs.TextVar(&size, "max-size", logsink.Size(64<<10), "rotate when the file would pass this size")
	assert.Equal(t, logsink.Size(64<<10), size, "the default")
	require.NoError(t, fs.Parse([]string{"-max-size", "100MB"}), "Parse")
	assert.Equal(t, logsink.Size(100_000_000), size, "parsed")
	fs.SetOutput(io.Discard)
	assert.ErrorContains(t, fs.Parse([]string{"-max-size", "lots"}), `invalid size "lots": want bytes or a number with a unit`, "a bad value")
}
