package confkit

import (
	"encoding"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	durationType      = reflect.TypeFor[time.Duration]()
	textUnmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// field is one settable field of a config struct.
type field struct {
	name string
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
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-":
			case sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct:
				walk(v.Field(i)) // as encoding/json does, exported or not
			case !sf.IsExported():
			case name != "":
				out = append(out, field{name: name, v: v.Field(i)})
			}
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
	slices.Sort(names)
	return names
}

// Query sets the fields of the config ptr points to from URL query
// parameters, one value each, by their json names. skip lists parameters
// the caller handles itself. It reports every unknown, repeated or bad
// parameter, each naming the parameter and its value. A value that parses
// but is out of range (a negative size, count or duration) is set, as
// encoding/json and YAML set it, for the config's Validate to refuse: so
// one mistake has one wording, whichever way the config came.
func Query(ptr any, q url.Values, skip ...string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		if !slices.Contains(skip, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		if len(q[k]) != 1 {
			errs = append(errs, fmt.Errorf("parameter %q given %d times, want once", k, len(q[k])))
			continue
		}
		errs = append(errs, set(ptr, k, q[k][0]))
	}
	return errors.Join(errs...)
}

// set sets the field named key from its text form. The error names the key
// and the value.
func set(ptr any, key, value string) error {
	for _, f := range fields(ptr) {
		if f.name == key {
			if err := setValue(f.v, value); err != nil {
				return fmt.Errorf("%s=%q: %w", key, value, err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown parameter %q (given %q; known: %s)", key, value, strings.Join(Names(ptr), ", "))
}

// setValue sets v from its text form, or leaves it unchanged and returns
// what is wrong with s.
func setValue(v reflect.Value, s string) error {
	if v.Addr().Type().Implements(textUnmarshalType) {
		// Decode into a copy, so that a bad value changes nothing.
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return err
		}
		v.Set(p.Elem())
		return nil
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a duration (want Go syntax such as 500ms, 1h30m)")
		}
		v.SetInt(int64(d)) // a negative one is the config's Validate to refuse
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a boolean (want true or false)")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil:
			return errors.New("not a whole number")
		case v.OverflowInt(n) && n < 0:
			return errors.New("too small")
		case v.OverflowInt(n):
			return errors.New("too large")
		}
		v.SetInt(n) // a negative one is the config's Validate to refuse
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

// Values returns the config's non-zero fields as query parameters, in the
// text forms Query reads: what a TextMarshaler writes, Go's syntax for
// durations, and the plain values of the rest.
func Values(ptr any) (url.Values, error) {
	q := url.Values{}
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
			q.Set(f.name, string(b))
		case v.Type() == durationType:
			q.Set(f.name, time.Duration(v.Int()).String())
		default:
			q.Set(f.name, fmt.Sprint(v.Interface()))
		}
	}
	return q, errors.Join(errs...)
}
