package conftest

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// A Scheme is what the URL checks need of a package's scheme.
type Scheme[C any] struct {
	// Decode is the package's decoder from URL to config.
	Decode func(*url.URL) (C, error)
	// Location returns the URL, without query, that gives c's location,
	// and the setting it fills.
	Location func(c C) (u url.URL, setting string)
	// Check is the package's validation of c, without touching the file
	// system or the network. It must not panic.
	Check func(c C) error
}

// FuzzURL is the body of a fuzz target for a URL scheme: no input panics
// the decoder or the check, a decoding error is worded as every scheme's
// (it begins with the package name), and a URL that decodes is written
// back, location and settings, to a URL that decodes to the same config.
func (s Scheme[C]) FuzzURL(t *testing.T, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	c, err := s.Decode(u)
	if err != nil {
		if msg := err.Error(); !strings.Contains(msg, ": ") {
			t.Fatalf("%q: error %q does not begin with its package", raw, msg)
		}
		return
	}
	_ = s.Check(c)
	back, setting := s.Location(c)
	q, err := confkit.Values(&c)
	if err != nil {
		return // a setting without a text form: the check reports it
	}
	q.Del(setting)
	back.RawQuery = q.Encode()
	u2, err := url.Parse(back.String())
	if err != nil {
		t.Fatalf("%q decodes to %+v, written back as %q, which does not parse: %v", raw, c, back.String(), err)
	}
	again, err := s.Decode(u2)
	if err != nil {
		t.Fatalf("%q decodes to %+v, written back as %q, which fails: %v", raw, c, u2, err)
	}
	if !reflect.DeepEqual(c, again) {
		t.Fatalf("%q decodes to %+v, written back as %q, which decodes to %+v", raw, c, u2, again)
	}
}

// RetryAfterFailedOpen checks that a failed open of bad leaves nothing
// behind, so that good, a URL for the same destination, then opens: a
// stream opened from good is closed again.
func RetryAfterFailedOpen(t *testing.T, bad, good string) {
	t.Helper()
	for range 2 {
		s, err := logsink.OpenURL(bad)
		if err == nil {
			_ = s.Close()
			t.Fatalf("OpenURL(%q) succeeded", bad)
		}
	}
	s, err := logsink.OpenURL(good)
	if err != nil {
		t.Fatalf("OpenURL(%q) after a failed open: %v", good, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close of %q: %v", good, err)
	}
}

// Decodes checks that each URL decodes to its config.
func (s Scheme[C]) Decodes(t *testing.T, want map[string]C) {
	t.Helper()
	for raw, w := range want {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", raw, err)
			}
			got, err := s.Decode(u)
			if err != nil {
				t.Fatalf("decode %q: %v", raw, err)
			}
			if !reflect.DeepEqual(w, got) {
				t.Errorf("decode %q:\n got %+v\nwant %+v", raw, got, w)
			}
		})
	}
}

// Rejects checks that each URL fails to decode with an error that
// contains its text.
func (s Scheme[C]) Rejects(t *testing.T, want map[string]string) {
	t.Helper()
	for raw, w := range want {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", raw, err)
			}
			if _, err := s.Decode(u); err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("decode %q: error %v, want one containing %q", raw, err, w)
			}
		})
	}
}
