// Package confkit holds what streamsink's config packages share: the text
// forms of sizes and file modes, the URL query decoder behind every sink
// scheme (rotate:, stream:, net:), the checks every scheme URL goes through,
// and a check that a config struct's tags let it embed in a caller's own.
//
// JSON and YAML are not decoded here: the config structs carry no marshal
// methods (an embedded struct's methods would take over the embedding
// struct's encoding), so encoding/json and YAML decode them field by field,
// and the field types (logsink.Size, logsink.FileMode, logsink.Policy,
// time.Duration) carry the text forms.
//
// A config struct's fields are found by their json tag; embedded structs are
// walked, as encoding/json flattens them.
package confkit
