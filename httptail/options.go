package httptail

import (
	"net/http"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Defaults used when an option is not given, or given a value <= 0.
const (
	DefaultBufferSize    = 256 << 10
	DefaultMaxClients    = 8
	DefaultWriteTimeout  = 10 * time.Second
	DefaultFlushInterval = 100 * time.Millisecond
)

// An Option configures a Hub. Nil options are ignored.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	bufferSize    int
	maxClients    int
	writeTimeout  time.Duration
	flushInterval time.Duration
	authorize     func(*http.Request) error
	allowedHosts  []string // lower case, no port, no trailing dot
	encoder       zapcore.EncoderConfig
}

func newOptions(opts []Option) options {
	o := options{
		bufferSize:    DefaultBufferSize,
		maxClients:    DefaultMaxClients,
		writeTimeout:  DefaultWriteTimeout,
		flushInterval: DefaultFlushInterval,
		encoder:       zap.NewProductionEncoderConfig(),
	}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithBufferSize sets the size of each client's buffer: entries that do
// not fit while the client is slow are dropped for that client alone, and
// counted in the summary it gets at the gap. Each client holds one buffer
// of this size (its stream's). It is clamped to logsink.MaxBufferSize. Defaults to 256 KiB if unspecified or n <= 0.
func WithBufferSize(n int) Option {
	return optionFunc(func(o *options) {
		if n > 0 {
			o.bufferSize = n
		}
	})
}

// WithMaxClients sets how many clients may follow the log at once; the
// next one gets 503 Service Unavailable. Loading the HTML page does not
// count, the event stream it opens does. Defaults to 8 if unspecified or
// n <= 0.
func WithMaxClients(n int) Option {
	return optionFunc(func(o *options) {
		if n > 0 {
			o.maxClients = n
		}
	})
}

// WithAuthorize makes the Hub call f for every request that passes the
// Host check (see [WithAllowedHosts]) and is not marked by a browser as
// sent by another site's page; if f returns an error, the request
// gets 403 Forbidden with the error's text, or 401 Unauthorized if the error
// wraps ErrUnauthenticated. A 401 carries a WWW-Authenticate header if the
// error has a method Challenge() string that returns one, such as
// `Basic realm="logs"`. [BearerToken] returns such an f for a shared token.
//
// f replaces the default check, which admits local clients only (a peer on
// loopback or a Unix socket): with f, f alone decides who reads the log,
// wherever they connect from. It is the only option that opens the Hub
// beyond local clients. Warning: an f that returns nil for every request
// serves the log, with whatever secrets it holds, to anyone who can reach
// the listener; pass one only where the service's own authentication has
// already run, or that checks a credential itself.
//
// Defaults to none (local clients only) if unspecified or nil.
func WithAuthorize(f func(*http.Request) error) Option {
	return optionFunc(func(o *options) { o.authorize = f })
}

// WithAllowedHosts adds names that a request's Host header may carry, such
// as the name of the admin listener behind a reverse proxy
// ("logs.internal.example"). Without them, only an IP literal and
// localhost are accepted, whatever Authorize says: a name that is not the
// service's own is how a web page uses DNS rebinding to read a local
// listener through a developer's browser. Names are matched exactly, in
// any case, ignoring a port and a trailing dot; there are no wildcards.
// Each call adds to the list. Defaults to none if unspecified.
func WithAllowedHosts(hosts ...string) Option {
	return optionFunc(func(o *options) {
		for _, h := range hosts {
			if h = normalHost(h); h != "" {
				o.allowedHosts = append(o.allowedHosts, h)
			}
		}
	})
}

// WithEncoderConfig tells the Hub how the service encodes its entries: the
// level key (for the level filter), the time, message, name, caller and
// stack trace keys (for the HTML page), and how to encode the summary of
// entries dropped for a slow client, which is written with a JSON encoder
// of this config so that it looks like the service's own entries. Pass the
// config of the JSON encoder whose entries the Hub receives. Defaults to
// zap.NewProductionEncoderConfig() if unspecified.
func WithEncoderConfig(cfg zapcore.EncoderConfig) Option {
	return optionFunc(func(o *options) { o.encoder = cfg })
}

// WithWriteTimeout bounds each write to a client: a client that does not
// take a batch of entries within d (it stopped reading, or its network
// did) is disconnected, and Close waits at most about d for the clients'
// last entries. Defaults to 10s if unspecified or d <= 0.
func WithWriteTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.writeTimeout = d
		}
	})
}

// WithFlushInterval sets how often each client's buffered entries are
// written out when there are too few to fill the high-water mark (16 KiB):
// the most a viewer waits for a quiet service's entry. Defaults to 100ms if
// unspecified or d <= 0; clamped to at least logsink.MinFlushInterval.
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.flushInterval = d
		}
	})
}
