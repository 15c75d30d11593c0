package confkit

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testScheme = Scheme{Name: "test", Pkg: "testpkg", Location: "name", Forms: "test:NAME or test:///NAME"}

func TestSchemeDecode(t *testing.T) {
	for _, tt := range []struct {
		give    string
		wantLoc Location
		want    testConfig
	}{
		{"test:app?count=3", Location{Path: "app", Opaque: true}, testConfig{Count: 3}},
		{"test:my%20app", Location{Path: "my app", Opaque: true}, testConfig{}},
		{"test:///var/app?wait=1s&max_size=1KiB", Location{Path: "/var/app"}, testConfig{Wait: time.Second, MaxSize: 1 << 10}},
		{"test://host:99/p", Location{Host: "host:99", Path: "/p"}, testConfig{}},
		{"TEST:app", Location{Path: "app", Opaque: true}, testConfig{}},
		{"test:app?", Location{Path: "app", Opaque: true}, testConfig{}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "url.Parse")
			var got testConfig
			loc, err := testScheme.Decode(u, &got)
			require.NoError(t, err, "Decode")
			assert.Equal(t, tt.wantLoc, loc, "location")
			assert.Equal(t, tt.want, got, "config")
		})
	}
}

// Every scheme rejects the same things with the same words, each error
// beginning with the package's name.
func TestSchemeDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		give string
		want []string
	}{
		{"other:app", []string{`testpkg: scheme "other": want test`}},
		{"test://me:secret@host/app", []string{"testpkg: user information not allowed in the URL (want test:NAME or test:///NAME)"}},
		{"test:app#frag", []string{`testpkg: fragment "frag" not allowed in the URL`}},
		{"test:app?count=%zz", []string{`testpkg: query "count=%zz": `, "invalid URL escape"}},
		{"test:app?a;b", []string{`testpkg: query "a;b": `}},
		{"test:app?name=x", []string{`testpkg: name="x": give it in the URL, not as a parameter (want test:NAME or test:///NAME)`}},
		{"test:app?colour=red", []string{`testpkg: unknown parameter "colour" (given "red"; known: `}},
		{"test:app?count=1&count=2", []string{`testpkg: parameter "count" given 2 times, want once`}},
		{"test:app?count=x&wait=soon", []string{`testpkg: count="x": not a whole number`, `testpkg: wait="soon": not a duration`}},
		{"test:app%zz", []string{`testpkg: path "app%zz": `}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "url.Parse")
			var c testConfig
			_, err = testScheme.Decode(u, &c)
			require.Error(t, err, "Decode")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "Decode(%q)", tt.give)
			}
			assert.NotContains(t, err.Error(), "secret", "the password is not repeated")
		})
	}
}

func TestSchemeErrorf(t *testing.T) {
	assert.EqualError(t, testScheme.Errorf("host %q not allowed", "h"), `testpkg: host "h" not allowed`)
}
