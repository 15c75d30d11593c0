package httptail

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// BearerToken returns a check for [WithAuthorize] that admits a request
// carrying the header "Authorization: Bearer <token>" with this token,
// from anywhere the listener is reachable. The comparison takes the same
// time whatever the given token, so timing tells an attacker nothing about
// how much of a guess was right. A request with no token, or another one,
// gets 401 with a WWW-Authenticate: Bearer challenge.
//
//	hub := httptail.New(httptail.WithAuthorize(httptail.BearerToken(os.Getenv("LOG_TOKEN"))))
//	// curl -N -H "Authorization: Bearer $LOG_TOKEN" https://admin:6060/debug/logs
//
// An empty token admits no one (every request gets 403): an unset
// variable must not open the log. Use a long random token, serve it over
// TLS beyond loopback, and keep it out of URLs (a browser's EventSource
// cannot send the header: for the HTML page, mount the Hub behind the
// service's own login instead).
func BearerToken(token string) func(*http.Request) error {
	want := sha256.Sum256([]byte(token))
	return func(r *http.Request) error {
		if token == "" {
			return errEmptyToken
		}
		values := r.Header.Values("Authorization")
		if len(values) == 0 {
			return &bearerError{msg: "no bearer token", challenge: bearerRealm}
		}
		got, ok := cutBearer(values[0])
		if len(values) > 1 || !ok {
			return &bearerError{msg: "want one Authorization header of the form: Bearer <token>", challenge: bearerRealm + `, error="invalid_request"`}
		}
		// Hashing both sides first makes the comparison's time
		// independent of the given token's length as well as its bytes.
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return &bearerError{msg: "wrong bearer token", challenge: bearerRealm + `, error="invalid_token"`}
		}
		return nil
	}
}

// bearerRealm opens the challenge of a refused request.
const bearerRealm = `Bearer realm="httptail"`

// errEmptyToken refuses every request of a BearerToken given no token.
var errEmptyToken = errors.New("httptail: BearerToken was given an empty token, so it admits no one")

// cutBearer returns the token of an Authorization header value
// "Bearer <token>", the scheme in any case.
func cutBearer(v string) (token string, ok bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// A bearerError refuses a request with a missing or wrong token: a 401
// with its challenge.
type bearerError struct {
	msg       string
	challenge string
}

func (e *bearerError) Error() string     { return "httptail: " + e.msg }
func (e *bearerError) Unwrap() error     { return ErrUnauthenticated }
func (e *bearerError) Challenge() string { return e.challenge }
