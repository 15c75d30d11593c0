// Package confkit decodes streamsink's config structs from text: JSON, YAML
// and URL query parameters all go through Set, so there is one set of names
// and one validation.
//
// A config struct's fields are found by their json tag (embedded structs are
// walked, as encoding/json flattens them). Field types decide the text form:
// time.Duration uses Go's duration syntax, integer fields tagged
// `conf:"size"` take sizes such as 64KiB, other integers plain numbers,
// bools strconv's forms, os.FileMode octal permission bits ("0640"), and
// encoding.TextUnmarshaler its own. Negative numbers and durations are
// errors.
package confkit

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	durationType      = reflect.TypeFor[time.Duration]()
	fileModeType      = reflect.TypeFor[os.FileMode]()
	textUnmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// field is one settable field of a config struct.
type field struct {
	name string
	size bool
	v    reflect.Value
}

// fields lists the named fields of the struct that ptr points to.
func fields(ptr any) []field {
	var out []field
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
				walk(v.Field(i))
				continue
			}
			if name == "" {
				continue
			}
			out = append(out, field{name: name, size: sf.Tag.Get("conf") == "size", v: v.Field(i)})
		}
	}
	walk(reflect.ValueOf(ptr).Elem())
	return out
}

// Names returns the text names of the config's fields, sorted.
func Names(ptr any) []string {
	var names []string
	for _, f := range fields(ptr) {
		names = append(names, f.name)
	}
	sort.Strings(names)
	return names
}

// Set sets the field named key from its text form. The error names the key
// and the value.
func Set(ptr any, key, value string) error {
	for _, f := range fields(ptr) {
		if f.name == key {
			if err := setValue(f, value); err != nil {
				return fmt.Errorf("%s=%q: %w", key, value, err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown setting %q (given %q; known: %s)", key, value, strings.Join(Names(ptr), ", "))
}

func setValue(f field, s string) error {
	v := f.v
	if v.Addr().Type().Implements(textUnmarshalType) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not a duration (want Go syntax such as 500ms, 1h30m)")
		}
		if d < 0 {
			return fmt.Errorf("negative duration")
		}
		v.SetInt(int64(d))
		return nil
	}
	if v.Type() == fileModeType {
		m, err := parseFileMode(s)
		if err != nil {
			return err
		}
		v.SetUint(uint64(m))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not a boolean (want true or false)")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var n int64
		var err error
		if f.size {
			n, err = ParseSize(s)
		} else if n, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
			err = fmt.Errorf("not a whole number")
		} else if n < 0 {
			err = fmt.Errorf("negative number")
		}
		if err != nil {
			return err
		}
		if v.OverflowInt(n) {
			return fmt.Errorf("too large")
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

// parseFileMode parses permission bits in octal: "0640", "640" or "0o640".
func parseFileMode(s string) (os.FileMode, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && (t[:2] == "0o" || t[:2] == "0O") {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || strings.HasPrefix(t, "+") {
		return 0, fmt.Errorf("not an octal file mode (want permission bits such as 0640)")
	}
	if n&^uint64(os.ModePerm) != 0 {
		return 0, fmt.Errorf("not permission bits (want at most 0777, such as 0640)")
	}
	return os.FileMode(n), nil
}

// formatFileMode formats m's bits in octal with a leading 0, as parseFileMode reads them.
func formatFileMode(m os.FileMode) string {
	return "0" + strconv.FormatUint(uint64(m), 8)
}

// Query sets fields from URL query parameters, one value each. skip lists
// parameters the caller handles itself. Every unknown parameter is an error.
func Query(ptr any, q url.Values, skip ...string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if contains(skip, k) {
			continue
		}
		if len(q[k]) != 1 {
			return fmt.Errorf("parameter %q given %d times, want once", k, len(q[k]))
		}
		if err := Set(ptr, k, q[k][0]); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// setMap sets fields from a decoded JSON or YAML object.
func setMap(ptr any, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var s string
		switch x := m[k].(type) {
		case nil:
			continue
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool, int, int64, uint64:
			s = fmt.Sprint(x)
		case float64:
			if x != float64(int64(x)) {
				return fmt.Errorf("%s=%v: not a whole number", k, x)
			}
			s = strconv.FormatInt(int64(x), 10)
		default:
			return fmt.Errorf("%s: want a string, number or boolean, got %T", k, x)
		}
		if isNumber(m[k]) && isFileMode(ptr, k) {
			// A number is the mode's value: YAML reads 0640 as octal, and
			// JSON has no octal, so 416 is 0640 there.
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil || n&^uint64(os.ModePerm) != 0 {
				return fmt.Errorf("%s=%s: not permission bits (write the mode as an octal string such as \"0640\")", k, s)
			}
			s = formatFileMode(os.FileMode(n))
		}
		if err := Set(ptr, k, s); err != nil {
			return err
		}
	}
	return nil
}

func isNumber(x any) bool {
	switch x.(type) {
	case json.Number, int, int64, uint64, float64:
		return true
	}
	return false
}

// isFileMode reports whether the field named key is an os.FileMode.
func isFileMode(ptr any, key string) bool {
	for _, f := range fields(ptr) {
		if f.name == key {
			return f.v.Type() == fileModeType
		}
	}
	return false
}

// DecodeJSON sets fields from a JSON object. Unknown keys are errors.
func DecodeJSON(ptr any, data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return err
	}
	return setMap(ptr, m)
}

// DecodeYAML sets fields through a yaml.v2/v3-style unmarshal function, as
// passed to an UnmarshalYAML(func(any) error) error method. Unknown keys are
// errors.
func DecodeYAML(ptr any, unmarshal func(any) error) error {
	var m map[string]any
	if err := unmarshal(&m); err != nil {
		return err
	}
	return setMap(ptr, m)
}

// Encode returns the config's non-zero fields in their text forms:
// durations and sizes as text, bools and other numbers as themselves, file
// modes as octal text ("0640"). A field whose MarshalText fails is left
// out; MarshalJSON and MarshalYAML report it instead.
func Encode(ptr any) map[string]any {
	m, _ := encode(ptr)
	return m
}

// MarshalJSON encodes the config's non-zero fields in their text forms.
func MarshalJSON(ptr any) ([]byte, error) {
	m, err := encode(ptr)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// MarshalYAML returns the config's non-zero fields in their text forms, for
// a MarshalYAML() (any, error) method.
func MarshalYAML(ptr any) (any, error) {
	m, err := encode(ptr)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func encode(ptr any) (map[string]any, error) {
	m := map[string]any{}
	var errs []error
	for _, f := range fields(ptr) {
		v := f.v
		if v.IsZero() {
			continue
		}
		switch {
		case v.Type().Implements(textMarshalType):
			b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
				continue
			}
			m[f.name] = string(b)
		case v.Type() == durationType:
			m[f.name] = time.Duration(v.Int()).String()
		case v.Type() == fileModeType:
			m[f.name] = formatFileMode(os.FileMode(v.Uint()))
		case f.size:
			m[f.name] = FormatSize(v.Int())
		default:
			m[f.name] = v.Interface()
		}
	}
	return m, errors.Join(errs...)
}
