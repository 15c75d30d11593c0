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
//
// One mistake has one wording, whichever way a config came (Go, JSON, YAML,
// a URL): a value that does not parse is the decoding error, quoting the
// value and the form wanted; a value that parses but is out of range
// decodes, and the config's Validate refuses it as "name=value: what is
// wrong" (Negative, BelowMin, AboveMax), since only Validate knows the
// setting's name for every decoder. Query leaves ranges to Validate for
// that reason.
package confkit
