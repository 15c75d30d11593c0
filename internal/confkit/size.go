package confkit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first, so "KiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// SizeForms is what a size's text looks like, for errors that say what
// was wanted.
const SizeForms = "bytes or a number with a unit such as 64KiB or 100MB"

// ParseSize parses a byte size: a whole number of bytes ("512"), or a whole
// number with a unit, binary ("64KiB", "1GiB") or decimal ("100MB", "1GB").
// The single letters K, M, G and T are binary. Case and a space before the
// unit do not matter. Negative sizes and sizes past int64 are errors.
func ParseSize(s string) (int64, error) {
	n, err := ParseSizeText(s)
	if err == nil && n < 0 {
		return 0, fmt.Errorf("invalid size %q: must not be negative", s)
	}
	return n, err
}

// ParseSizeText parses the text form of a size setting: what ParseSize
// reads, and also a negative size ("-1", "-64KiB"). A size that parses
// but is out of range is for the config's Validate to refuse, which knows
// the setting's name; a decoder such as YAML's hands on a text type's error
// without the key or the line, so only what does not parse is an error
// here: it quotes the text and says what a size looks like.
func ParseSizeText(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || strings.HasPrefix(t, "+") {
		return 0, fmt.Errorf("invalid size %q: want %s", s, SizeForms)
	}
	if n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n * mult, nil
}

// FormatSize formats n bytes in the largest binary unit that divides it
// exactly ("64KiB", "1GiB", "1000"), so that ParseSizeText(FormatSize(n))
// == n, and ParseSize too for n >= 0.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
