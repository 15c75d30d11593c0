package confkit

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// CheckTags reports every field of the config struct ptr points to whose
// tags would make JSON and YAML disagree or take over a caller's encoding:
// a field must carry the same name and options in its json and yaml tags
// (or "-" in both), an embedded struct must be flattened in both (no json
// name, yaml ",inline"), a setting named *_size must have a text form
// (logsink.Size), and the config must have no marshal or unmarshal methods
// of its own, which a struct embedding it would inherit. The
// packages' tests call it, so that a field added later keeps the rules.
func CheckTags(ptr any) error {
	var errs []error
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for _, m := range []string{"MarshalJSON", "UnmarshalJSON", "MarshalYAML", "UnmarshalYAML", "MarshalText", "UnmarshalText"} {
			if _, ok := reflect.PointerTo(t).MethodByName(m); ok {
				errs = append(errs, fmt.Errorf("%s has a %s method, which a struct embedding it would take over", t, m))
			}
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			embedded := sf.Anonymous && sf.Type.Kind() == reflect.Struct
			if !sf.IsExported() && !embedded { // encoding/json walks unexported embedded structs too
				continue
			}
			name := path + sf.Name
			js, hasJSON := sf.Tag.Lookup("json")
			ys, hasYAML := sf.Tag.Lookup("yaml")
			if c, ok := sf.Tag.Lookup("conf"); ok {
				errs = append(errs, fmt.Errorf("%s: conf:%q tag: the field's type gives its text form (use logsink.Size for sizes)", name, c))
			}
			if embedded {
				if js != "" || ys != ",inline" {
					errs = append(errs, fmt.Errorf("%s: embedded config wants no json tag and yaml:\",inline\", has json:%q yaml:%q", name, js, ys))
				}
				walk(sf.Type, name+".")
				continue
			}
			switch {
			case !hasJSON || !hasYAML:
				errs = append(errs, fmt.Errorf("%s: wants both a json and a yaml tag (\"-\" if it is not a setting)", name))
			case js != ys:
				errs = append(errs, fmt.Errorf("%s: json:%q and yaml:%q differ", name, js, ys))
			case js != "-" && strings.Split(js, ",")[0] == "":
				errs = append(errs, fmt.Errorf("%s: json:%q has no name", name, js))
			case strings.HasSuffix(strings.Split(js, ",")[0], "_size") && !reflect.PointerTo(sf.Type).Implements(textUnmarshalType):
				errs = append(errs, fmt.Errorf("%s: %s is a size without a text form (use logsink.Size)", name, strings.Split(js, ",")[0]))
			}
		}
	}
	walk(reflect.TypeOf(ptr).Elem(), "")
	return errors.Join(errs...)
}
