package confkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ParseFileMode parses permission bits in octal: "0640", "640" or "0o640".
func ParseFileMode(s string) (os.FileMode, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && (t[:2] == "0o" || t[:2] == "0O") {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || strings.HasPrefix(t, "+") {
		return 0, fmt.Errorf("invalid file mode %q (want octal permission bits such as 0640)", s)
	}
	if n&^uint64(os.ModePerm) != 0 {
		return 0, fmt.Errorf("invalid file mode %q: not permission bits (want at most 0777, such as 0640)", s)
	}
	return os.FileMode(n), nil
}

// FormatFileMode formats m's bits in octal with a leading 0, as
// ParseFileMode reads them: "0640".
func FormatFileMode(m os.FileMode) string {
	if m == 0 {
		return "0"
	}
	return "0" + strconv.FormatUint(uint64(m), 8)
}
