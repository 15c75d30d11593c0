package confkit

import "fmt"

// The errors below word a bad setting the same way in every package, and
// so whichever way the value came: Go code, JSON, YAML or a URL query.
// Every config's Validate words a value that parsed but is out of range as
// "name=value: what is wrong", with value as fmt's %v writes it (a
// logsink.Size as its text, "-64KiB"; a time.Duration as "-1h0m0s"), and
// the package name before it ("rotate: max_size=-1: must not be
// negative"). A URL query decodes such a value and leaves it to Validate,
// so the URL path gives the same words.

// Negative is the error for a setting that must not be negative.
func Negative(name string, value any) error {
	return fmt.Errorf("%s=%v: must not be negative", name, value)
}

// BelowMin is the error for a setting below its minimum (above zero,
// which means the default).
func BelowMin(name string, value, minimum any) error {
	return fmt.Errorf("%s=%v: less than the minimum, %v", name, value, minimum)
}

// AboveMax is the error for a setting above its maximum.
func AboveMax(name string, value, maximum any) error {
	return fmt.Errorf("%s=%v: more than the maximum, %v", name, value, maximum)
}
