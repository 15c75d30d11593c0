package logsink

import (
	"fmt"
	"os"
	"strconv"

	"github.com/streamsink/streamsink/internal/confkit"
)

// FileMode is the permission bits of a file a destination creates. Go code
// sets it with octal numbers (Mode: 0o640); its text form, in JSON, YAML
// and URL queries, is octal: "0640", "640" or "0o640". In YAML an unquoted
// 0640 is read as that text too. JSON has no octal numbers, so a JSON
// number is the mode's value (416 is 0640); write the mode as a string.
type FileMode os.FileMode

// String returns the mode in octal with a leading 0: "0640".
func (m FileMode) String() string { return confkit.FormatFileMode(os.FileMode(m)) }

// MarshalText implements encoding.TextMarshaler.
func (m FileMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: octal permission bits.
func (m *FileMode) UnmarshalText(text []byte) error {
	fm, err := confkit.ParseFileMode(string(text))
	if err != nil {
		return err
	}
	*m = FileMode(fm)
	return nil
}

// UnmarshalJSON reads a JSON string in the text form, or a JSON number as
// the mode's value; null leaves m unchanged.
func (m *FileMode) UnmarshalJSON(data []byte) error {
	return unmarshalJSONText(data, m, func(number []byte) error {
		n, err := strconv.ParseUint(string(number), 10, 32)
		if err != nil || n&^uint64(os.ModePerm) != 0 {
			return fmt.Errorf("invalid file mode %s: not permission bits (write the mode as an octal string such as \"0640\")", number)
		}
		*m = FileMode(n)
		return nil
	})
}
