package logsink

import "github.com/streamsink/streamsink/internal/confkit"

// ParseSize parses a byte size: a whole number of bytes ("512"), or a whole
// number with a unit, binary ("64KiB", "1GiB") or decimal ("100MB", "1GB").
// The single letters K, M, G and T are binary. Case and a space before the
// unit do not matter. Negative sizes and sizes past int64 are errors.
func ParseSize(s string) (int64, error) { return confkit.ParseSize(s) }

// FormatSize formats n bytes in the largest binary unit that divides it
// exactly ("64KiB", "1GiB", "1000"), so that ParseSize(FormatSize(n)) == n.
func FormatSize(n int64) string { return confkit.FormatSize(n) }
