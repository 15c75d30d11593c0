package logsink

import (
	"encoding"
	"encoding/json"
	"reflect"

	"github.com/streamsink/streamsink/internal/confkit"
)

// Size is a number of bytes. Go code sets it with plain numbers
// (BufferSize: 4 << 20); its text form, which JSON, YAML, URL queries and
// flag.TextVar read and write, is a size as ParseSize reads it ("512",
// "64KiB", "100MB"), written back as FormatSize writes it. JSON may also
// give it as a number of bytes.
//
// A negative size ("-1", "-64KiB") decodes, so that the config's Validate
// refuses it naming the setting ("max_size=-1: must not be negative"): a
// decoder such as YAML's reports a text type's own error without the key
// or the line. A text that is not a size at all is the decoding error, and
// it quotes the text and says what a size looks like.
type Size int64

// String returns the size as FormatSize writes it: "64KiB", "1000".
func (s Size) String() string { return FormatSize(int64(s)) }

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: ParseSize's forms,
// negative ones too, for Validate to refuse by name.
func (s *Size) UnmarshalText(text []byte) error {
	n, err := confkit.ParseSizeText(string(text))
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// UnmarshalJSON reads a JSON string in the text form or a JSON number of
// bytes; null leaves s unchanged.
func (s *Size) UnmarshalJSON(data []byte) error {
	// A number goes through the text form too, which rejects fractions,
	// exponents and a plus sign.
	return unmarshalJSONText(data, s, s.UnmarshalText)
}

// unmarshalJSONText decodes a JSON value into a type with a text form: null
// leaves it unchanged, a string is its text, a number goes to number, and
// anything else is a type error that encoding/json completes with the
// field's name.
func unmarshalJSONText(data []byte, v encoding.TextUnmarshaler, number func([]byte) error) error {
	switch {
	case string(data) == "null":
		return nil
	case data[0] == '"':
		var text string
		if err := json.Unmarshal(data, &text); err != nil {
			return err
		}
		return v.UnmarshalText([]byte(text))
	case data[0] == '-' || '0' <= data[0] && data[0] <= '9':
		return number(data)
	}
	kind := "value"
	switch data[0] {
	case '{':
		kind = "object"
	case '[':
		kind = "array"
	case 't', 'f':
		kind = "bool"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeOf(v).Elem()}
}

// ParseSize parses a byte size: a whole number of bytes ("512"), or a whole
// number with a unit, binary ("64KiB", "1GiB") or decimal ("100MB", "1GB").
// The single letters K, M, G and T are binary. Case and a space before the
// unit do not matter. Negative sizes and sizes past int64 are errors.
func ParseSize(s string) (int64, error) { return confkit.ParseSize(s) }

// FormatSize formats n bytes in the largest binary unit that divides it
// exactly ("64KiB", "1GiB", "1000"), so that ParseSize(FormatSize(n)) == n.
func FormatSize(n int64) string { return confkit.FormatSize(n) }
