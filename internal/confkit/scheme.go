package confkit

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// A Scheme describes how one package's URLs map onto its config, so that
// every sink scheme checks its URLs the same way and words its errors
// alike. Each package's scheme file keeps only what is its own: which
// locations it accepts and which setting they fill.
type Scheme struct {
	// Name is the URL scheme: "rotate".
	Name string
	// Pkg begins every error: "rotate".
	Pkg string
	// Location is the setting the URL's host or path gives, which the query
	// may not set: "filename".
	Location string
	// Forms are the URL forms the scheme accepts, for errors:
	// "rotate:///absolute/path or rotate:relative/path".
	Forms string
}

// A Location is where a URL points, besides its query.
type Location struct {
	// Host is the URL's host, with its port if it has one.
	Host string
	// Path is the URL's path, unescaped, or its opaque part for a URL
	// such as stream:stdout or rotate:logs/app.log.
	Path string
	// Opaque says that Path is the opaque part.
	Opaque bool
}

// Decode checks u and sets the fields of the config ptr points to from u's
// query, by their json names. User information, a fragment, a malformed
// query, a query parameter naming the location, and unknown, repeated or
// bad parameters are errors, every one reported and each naming the
// parameter and its value. It returns where u points for the caller to
// check and set.
func (s Scheme) Decode(u *url.URL, ptr any) (Location, error) {
	var loc Location
	switch {
	case !strings.EqualFold(u.Scheme, s.Name):
		return loc, s.Errorf("scheme %q: want %s", u.Scheme, s.Name)
	case u.User != nil:
		// Not quoted back: it may hold a password.
		return loc, s.Errorf("user information not allowed in the URL (want %s)", s.Forms)
	case u.Fragment != "":
		return loc, s.Errorf("fragment %q not allowed in the URL", u.Fragment)
	}
	loc.Host, loc.Path = u.Host, u.Path
	if u.Opaque != "" {
		p, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return loc, s.Errorf("path %q: %v", u.Opaque, err)
		}
		loc.Path, loc.Opaque = p, true
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return loc, s.Errorf("query %q: %v", u.RawQuery, err)
	}
	if q.Has(s.Location) {
		return loc, s.Errorf("%s=%q: give it in the URL, not as a parameter (want %s)", s.Location, q.Get(s.Location), s.Forms)
	}
	if err := Query(ptr, q); err != nil {
		return loc, s.prefix(err)
	}
	return loc, nil
}

// Errorf returns an error worded like Decode's: the package name, then the
// message.
func (s Scheme) Errorf(format string, args ...any) error {
	return fmt.Errorf(s.Pkg+": "+format, args...)
}

// prefix puts the package name before each of err's joined errors.
func (s Scheme) prefix(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return fmt.Errorf("%s: %w", s.Pkg, err)
	}
	var errs []error
	for _, e := range j.Unwrap() {
		errs = append(errs, fmt.Errorf("%s: %w", s.Pkg, e))
	}
	return errors.Join(errs...)
}

// URLDecoder returns the scheme's decoder from URL to config: Decode's
// checks and query, then locate, which checks where the URL points (the
// part that differs between schemes) and sets it on the config.
func URLDecoder[C any](s Scheme, locate func(c *C, loc Location) error) func(*url.URL) (C, error) {
	return func(u *url.URL) (C, error) {
		var c C
		loc, err := s.Decode(u, &c)
		if err != nil {
			return c, err
		}
		return c, locate(&c, loc)
	}
}

// URLOpener returns the open function a scheme registers: decode the URL,
// then open the config, which validates it.
func URLOpener[C, S any](decode func(*url.URL) (C, error), open func(C) (S, error)) func(*url.URL) (S, error) {
	return func(u *url.URL) (S, error) {
		c, err := decode(u)
		if err != nil {
			var zero S
			return zero, err
		}
		return open(c)
	}
}
