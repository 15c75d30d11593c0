package netsink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Defaults used when a Config field is zero.
const (
	DefaultProto        = "tcp"
	DefaultDialTimeout  = 5 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultReconnectMin = 100 * time.Millisecond
	DefaultReconnectMax = 10 * time.Second
	DefaultFacility     = "user"
	DefaultSeverity     = "info"
	DefaultLevelKey     = "level"
	// DefaultMaxDatagramSize is the largest payload of a UDP datagram over
	// IPv4, the size limit on datagram transports when MaxMessageSize is
	// zero.
	DefaultMaxDatagramSize = 65507
)

// MinReconnect is the shortest ReconnectMin and ReconnectMax Validate
// accepts: a shorter wait between dials is a busy loop.
const MinReconnect = time.Millisecond

// MinMessageSize is the smallest MaxMessageSize Validate accepts: the size
// RFC 5424 requires every receiver to accept.
const MinMessageSize = 480

// Config describes a connection to a log collector and the stream in front
// of it. The zero value, but for Address, means defaults: newline-delimited
// entries over TCP. Go callers fill it with plain values (DialTimeout:
// 2 * time.Second, MaxMessageSize: 8 << 10); JSON, YAML and the "net" URL
// scheme read text forms: sizes such as 8KiB and, in YAML and URLs, Go
// durations such as 500ms (encoding/json reads durations as integer
// nanoseconds). The embedded logsink.Config adds the stream settings
// (buffer_size, policy, flush_interval, ...) under the same names. Config
// has no marshal methods, so it embeds in a service's own config struct
// without taking over that struct's encoding.
//
//	proto: tcp
//	address: logs.internal:6514
//	framing: rfc5424
//	facility: local0
//	tls: true
//	ca_file: /etc/ssl/collector-ca.pem
//	policy: drop
type Config struct {
	// Proto is the network: tcp, udp, unix (a stream socket) or unixgram
	// (a datagram socket, such as /dev/log); tcp4, tcp6, udp4 and udp6
	// pin the IP version. Defaults to tcp if unspecified.
	Proto string `json:"proto,omitempty" yaml:"proto,omitempty"`
	// Address is host:port for tcp and udp, or the socket's path for unix
	// and unixgram. The host is resolved again at each dial. Required.
	Address string `json:"address" yaml:"address"`
	// Framing says how entries go on the wire: lines, octet, rfc5424 or
	// rfc3164. Defaults to lines if unspecified.
	Framing Framing `json:"framing,omitempty" yaml:"framing,omitempty"`

	// Facility is the syslog facility of rfc5424 and rfc3164 messages, by
	// name: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
	// authpriv, ftp, local0 to local7. Defaults to user if unspecified.
	Facility string `json:"facility,omitempty" yaml:"facility,omitempty"`
	// Severity is the syslog severity of entries whose level the framing
	// cannot find (see the package documentation), by syslog or zap name.
	// Defaults to info if unspecified.
	Severity string `json:"severity,omitempty" yaml:"severity,omitempty"`
	// LevelKey is the key under which JSON entries carry their level, as
	// zapcore.EncoderConfig.LevelKey. Defaults to level if unspecified.
	LevelKey string `json:"level_key,omitempty" yaml:"level_key,omitempty"`
	// Hostname is the HOSTNAME of syslog messages. Defaults to
	// os.Hostname() if unspecified.
	Hostname string `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	// AppName is the APP-NAME of rfc5424 messages and the TAG of rfc3164
	// ones. Defaults to the program's file name if unspecified.
	AppName string `json:"app_name,omitempty" yaml:"app_name,omitempty"`
	// ProcID is the PROCID of syslog messages. Defaults to the process ID if
	// unspecified.
	ProcID string `json:"proc_id,omitempty" yaml:"proc_id,omitempty"`
	// MsgID is the MSGID of rfc5424 messages. Defaults to "-" (none) if
	// unspecified.
	MsgID string `json:"msg_id,omitempty" yaml:"msg_id,omitempty"`
	// MaxMessageSize is the largest message in bytes, syslog header,
	// escapes and TruncationMarker included, octet count and newline not
	// (what rsyslog and syslog-ng count): longer entries are truncated to
	// it, at a UTF-8 boundary, end in TruncationMarker and are counted in
	// Stats().Truncated. Raise it only together with the collector's limit
	// (rsyslog's maxMessageSize, syslog-ng's log-msg-size(), Fluent Bit's
	// Buffer_Size); NoMessageLimit (text form 0) sends every entry whole. At
	// least 480. A zero value in Go means the default; in text, 0 means no
	// limit (see MessageSize). Defaults to 65507 on udp and unixgram and to
	// DefaultMaxMessageSize (8096, what rsyslog takes by default) on tcp and
	// unix if unspecified.
	MaxMessageSize MessageSize `json:"max_message_size,omitempty" yaml:"max_message_size,omitempty"`

	// DialTimeout bounds each dial, TLS handshake included. Defaults to 5s
	// if unspecified.
	DialTimeout time.Duration `json:"dial_timeout,omitempty" yaml:"dial_timeout,omitempty"`
	// WriteTimeout bounds each write to the socket, so that a collector
	// that stops reading holds the stream's flusher for at most this long
	// at a time. Defaults to 5s if unspecified.
	WriteTimeout time.Duration `json:"write_timeout,omitempty" yaml:"write_timeout,omitempty"`
	// ReconnectMin is the wait after the first failed dial; it doubles with
	// each further failure up to ReconnectMax, with jitter. Defaults to
	// 100ms if unspecified.
	ReconnectMin time.Duration `json:"reconnect_min,omitempty" yaml:"reconnect_min,omitempty"`
	// ReconnectMax caps the wait between dial attempts. Defaults to 10s if
	// unspecified.
	ReconnectMax time.Duration `json:"reconnect_max,omitempty" yaml:"reconnect_max,omitempty"`

	// TLS dials tcp with TLS, verifying the collector's certificate against
	// CAFile, or the system's roots if CAFile is empty. Defaults to false
	// if unspecified.
	TLS bool `json:"tls,omitempty" yaml:"tls,omitempty"`
	// CAFile is a PEM file of the certificate authorities to trust.
	// Defaults to the system's roots if unspecified.
	CAFile string `json:"ca_file,omitempty" yaml:"ca_file,omitempty"`
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// collectors that authenticate their clients. Defaults to none if
	// unspecified.
	CertFile string `json:"cert_file,omitempty" yaml:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty" yaml:"key_file,omitempty"`
	// ServerName is the name the collector's certificate must hold.
	// Defaults to the host of Address if unspecified.
	ServerName string `json:"server_name,omitempty" yaml:"server_name,omitempty"`
	// InsecureSkipVerify accepts any certificate: for tests only. Defaults
	// to false if unspecified.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty" yaml:"insecure_skip_verify,omitempty"`
	// TLSConfig, if set, dials tcp with TLS using a clone of it, instead of
	// the settings above, which must then be left empty. An empty
	// ServerName is taken from Address.
	TLSConfig *tls.Config `json:"-" yaml:"-"`

	// Dial, if set, makes the connections instead of a net.Dialer, for
	// proxies or socket options. It must honour ctx, which carries the dial
	// timeout. TLS, if configured, runs over the connection it returns.
	Dial func(ctx context.Context, network, address string) (net.Conn, error) `json:"-" yaml:"-"`
	// Clock is the time source for reconnect waits and syslog timestamps.
	// Defaults to zapcore.DefaultClock if unspecified.
	Clock zapcore.Clock `json:"-" yaml:"-"`

	// Config holds the stream settings.
	logsink.Config `yaml:",inline"`
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Proto == "" {
		c.Proto = DefaultProto
	}
	if c.Framing == "" {
		c.Framing = Lines
	}
	if c.Facility == "" {
		c.Facility = DefaultFacility
	}
	if c.Severity == "" {
		c.Severity = DefaultSeverity
	}
	if c.LevelKey == "" {
		c.LevelKey = DefaultLevelKey
	}
	if c.Hostname == "" {
		h, _ := os.Hostname()
		c.Hostname = sanitize(h, maxHostname)
	}
	if c.AppName == "" {
		c.AppName = sanitize(filepath.Base(os.Args[0]), maxAppName)
	}
	if c.ProcID == "" {
		c.ProcID = strconv.Itoa(os.Getpid())
	}
	if c.MsgID == "" {
		c.MsgID = "-"
	}
	switch {
	case c.MaxMessageSize == 0 && isDatagram(c.Proto):
		c.MaxMessageSize = DefaultMaxDatagramSize
	case c.MaxMessageSize == 0:
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(DefaultReconnectMax, c.ReconnectMin)
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = min(DefaultReconnectMin, c.ReconnectMax)
	}
	if c.Clock == nil {
		c.Clock = zapcore.DefaultClock
	}
	return c
}

var protos = []string{"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram"}

func isDatagram(proto string) bool {
	return strings.HasPrefix(proto, "udp") || proto == "unixgram"
}

func isIP(proto string) bool {
	return strings.HasPrefix(proto, "tcp") || strings.HasPrefix(proto, "udp")
}

// Validate reports every bad value, each naming its setting and value: an
// unknown proto, framing, facility or severity, a missing or malformed
// address, syslog header fields RFC 5424 does not allow, negative sizes and
// durations, TLS settings on a network other than tcp, and CA, certificate
// or key files that cannot be read.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

// validate is Validate, also returning the TLS config to dial with (nil for
// none).
func (c Config) validate() (*tls.Config, error) {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("netsink: "+format, args...))
	}
	proto := c.Proto
	if proto == "" {
		proto = DefaultProto
	}
	known := false
	for _, p := range protos {
		known = known || p == proto
	}
	if !known {
		add("proto=%q: unknown network (want tcp, udp, unix or unixgram)", c.Proto)
	}
	switch {
	case c.Address == "":
		add(`address="": must not be empty`)
	case known && isIP(proto):
		if _, port, err := net.SplitHostPort(c.Address); err != nil {
			add("address=%q: want host:port for %s", c.Address, proto)
		} else if port == "" {
			add("address=%q: no port", c.Address)
		}
	}
	if c.Framing != "" && !isFraming(c.Framing) {
		add("framing=%q: unknown framing (want %s)", c.Framing, framingNames())
	}
	if _, ok := facilities[c.Facility]; c.Facility != "" && !ok {
		add("facility=%q: unknown facility (want %s)", c.Facility, facilityNames)
	}
	if _, ok := severityOf([]byte(c.Severity)); c.Severity != "" && !ok {
		add("severity=%q: unknown severity (want %s)", c.Severity, severityNames)
	}
	if strings.ContainsAny(c.LevelKey, "\"\\") {
		add("level_key=%q: must not hold quotes or backslashes", c.LevelKey)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"hostname", c.Hostname, maxHostname},
		{"app_name", c.AppName, maxAppName},
		{"proc_id", c.ProcID, maxProcID},
		{"msg_id", c.MsgID, maxMsgID},
	} {
		if f.value == "" {
			continue
		}
		if msg := syslogField(f.value, f.max); msg != "" {
			add("%s=%q: %s (RFC 5424)", f.name, f.value, msg)
		}
	}
	switch {
	case c.MaxMessageSize == NoMessageLimit && strings.HasPrefix(proto, "udp"):
		add("max_message_size=0: no limit, but a UDP datagram carries at most %d bytes", DefaultMaxDatagramSize)
	case c.MaxMessageSize < 0 && c.MaxMessageSize != NoMessageLimit:
		add("max_message_size=%d: must not be negative (NoMessageLimit, text form 0, lifts the limit)", c.MaxMessageSize)
	case c.MaxMessageSize > 0 && c.MaxMessageSize < MinMessageSize:
		errs = append(errs, fmt.Errorf("netsink: %w", confkit.BelowMin("max_message_size", c.MaxMessageSize, MinMessageSize)))
	case c.MaxMessageSize > DefaultMaxDatagramSize && strings.HasPrefix(proto, "udp"):
		add("max_message_size=%d: larger than a UDP datagram can carry (%d)", c.MaxMessageSize, DefaultMaxDatagramSize)
	case c.MaxMessageSize > logsink.MaxBufferSize:
		add("max_message_size=%s: more than the maximum, %s", c.MaxMessageSize, logsink.Size(logsink.MaxBufferSize))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"dial_timeout", c.DialTimeout},
		{"write_timeout", c.WriteTimeout},
		{"reconnect_min", c.ReconnectMin},
		{"reconnect_max", c.ReconnectMax},
	} {
		if d.v < 0 {
			add("%s=%s: must not be negative", d.name, d.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"reconnect_min", c.ReconnectMin}, {"reconnect_max", c.ReconnectMax}} {
		if d.v > 0 && d.v < MinReconnect {
			add("%s=%s: less than the minimum, %s (a shorter wait redials in a busy loop)", d.name, d.v, MinReconnect)
		}
	}
	if c.ReconnectMin > 0 && c.ReconnectMax > 0 && c.ReconnectMin > c.ReconnectMax {
		add("reconnect_min=%s: more than reconnect_max=%s", c.ReconnectMin, c.ReconnectMax)
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	tlsConf, tlsErrs := c.tlsConfig(proto)
	errs = append(errs, tlsErrs...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tlsConf, nil
}

// tlsConfig checks the TLS settings and builds the config to dial with.
func (c Config) tlsConfig(proto string) (*tls.Config, []error) {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("netsink: "+format, args...))
	}
	set := []struct {
		name, value string
	}{
		{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile},
		{"server_name", c.ServerName}, {"insecure_skip_verify", fmt.Sprint(c.InsecureSkipVerify)},
	}
	for _, s := range set {
		if s.value == "" || s.value == "false" {
			continue
		}
		switch {
		case c.TLSConfig != nil:
			add("%s=%q: set TLSConfig or the TLS settings, not both", s.name, s.value)
		case !c.TLS:
			add("%s=%q: needs tls=true", s.name, s.value)
		}
	}
	if !c.TLS && c.TLSConfig == nil {
		return nil, errs
	}
	if !strings.HasPrefix(proto, "tcp") {
		add("tls=true: only for tcp, not proto=%q", proto)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var conf *tls.Config
	if c.TLSConfig != nil {
		conf = c.TLSConfig.Clone()
	} else {
		conf = &tls.Config{ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				add("ca_file=%q: %w", c.CAFile, err)
			} else {
				conf.RootCAs = x509.NewCertPool()
				if !conf.RootCAs.AppendCertsFromPEM(pem) {
					add("ca_file=%q: no PEM certificates in it", c.CAFile)
				}
			}
		}
		switch {
		case c.CertFile != "" && c.KeyFile == "":
			add("cert_file=%q: needs key_file", c.CertFile)
		case c.CertFile == "" && c.KeyFile != "":
			add("key_file=%q: needs cert_file", c.KeyFile)
		case c.CertFile != "":
			cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				add("cert_file=%q, key_file=%q: %w", c.CertFile, c.KeyFile, err)
			}
			conf.Certificates = []tls.Certificate{cert}
		}
	}
	if conf.ServerName == "" {
		if host, _, err := net.SplitHostPort(c.Address); err == nil {
			conf.ServerName = host
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return conf, nil
}

// Open validates cfg and returns a stream that writes to a new Conn, with
// cfg's stream settings followed by opts, so opts win. It does not dial:
// the first flush does. Closing the stream closes the connection. To read
// the Conn's own Stats, use NewConn and logsink.New(conn, cfg.Options()...)
// instead.
func Open(cfg Config, opts ...logsink.Option) (*logsink.Stream, error) {
	conn, err := NewConn(cfg)
	if err != nil {
		return nil, err
	}
	s, err := logsink.Open(conn, append(cfg.Config.Options(), opts...)...)
	if err != nil {
		return nil, errors.Join(err, conn.Close()) // a failed open leaves nothing behind
	}
	return s, nil
}
