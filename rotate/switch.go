package rotate

import (
	"fmt"
	"strconv"
	"strings"
)

// A Switch turns off a setting that is on by default, such as
// Config.Follow: its zero value, On, means on, so a zero Config keeps the
// default. It reads the text forms of a boolean (true, false, 1, 0, and on,
// off), so a config file writes "follow: false". It is a string so that
// decoders which turn booleans into strings (mapstructure's weak typing,
// which viper uses) give "0" or "1", read the same way, rather than a
// number that would read as the zero value.
type Switch string

// The two settings of a Switch.
const (
	On  Switch = ""      // the default
	Off Switch = "false" // turned off
)

// parse returns whether s is on, or an error for a text that is not a
// boolean.
func (s Switch) parse() (bool, error) {
	switch t := strings.ToLower(strings.TrimSpace(string(s))); t {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	default:
		on, err := strconv.ParseBool(t)
		if err != nil {
			return false, fmt.Errorf("not a boolean (want true or false)")
		}
		return on, nil
	}
}

// on reports whether the setting is on: for On, and for any text that
// reads as true. A text that is not a boolean counts as on; Config.Validate
// reports it.
func (s Switch) on() bool {
	on, err := s.parse()
	return on || err != nil
}

// MarshalText returns "true" or "false".
func (s Switch) MarshalText() ([]byte, error) {
	on, err := s.parse()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", string(s), err)
	}
	return strconv.AppendBool(nil, on), nil
}

// UnmarshalText reads true, false, 1, 0, on, off (any case), and stores On
// or Off.
func (s *Switch) UnmarshalText(text []byte) error {
	on, err := Switch(text).parse()
	if err != nil {
		return err
	}
	if on {
		*s = On
	} else {
		*s = Off
	}
	return nil
}

// UnmarshalJSON reads a JSON boolean, or a string in one of the text
// forms; null leaves s as it is.
func (s *Switch) UnmarshalJSON(data []byte) error {
	text := strings.TrimSpace(string(data))
	if text == "null" {
		return nil
	}
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted
	} else if text != "true" && text != "false" {
		return fmt.Errorf("rotate: switch %s: want true or false", data)
	}
	return s.UnmarshalText([]byte(text))
}

// MarshalJSON writes a JSON boolean.
func (s Switch) MarshalJSON() ([]byte, error) {
	return s.MarshalText()
}
