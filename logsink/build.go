package logsink

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Build builds a logger from cfg as cfg.Build does, opening the output
// paths of registered schemes (rotate:, stream:, net:) as streams, and
// returns a function that syncs the logger and then flushes, syncs and
// closes every stream it opened (zap.Config.Build discards the closers of
// the sinks it opens). Call it once, at exit.
//
// Build is BuildStreams for callers that need nothing but the close
// function; see BuildStreams for what it builds.
func Build(cfg zap.Config, opts ...zap.Option) (*zap.Logger, func() error, error) {
	logger, streams, err := BuildStreams(cfg, opts...)
	if err != nil {
		return nil, nil, err
	}
	return logger, streams.Close, nil
}

// BuildStreams builds a logger from cfg as cfg.Build does and returns the
// streams it opened, by URL: for their Stats, for Reopen on SIGHUP
// (rotate.ReopenOnSignal(streams)), and to close them at exit.
//
// Each output path of a registered scheme is opened once, even if it is
// listed again or also among the ErrorOutputPaths, and gets its own
// NewCore, so that entries at Warn and above are kept under the Drop policy
// and drops are summarised in the log. Other output paths (files, stdout)
// get zap's own core, as in cfg.Build, and are closed with the streams.
// The logger's options (error output, development mode, caller, stack
// traces) are zap's own, from cfg.Build; Build adds the sampler and the
// initial fields over the streams' cores as cfg.Build does, and counts the
// entries the sampler drops in each output stream's Stats().Sampled. For
// an encoding other than "json" and "console" (one added with
// zap.RegisterEncoder) the whole logger is cfg.Build's, writing to the
// streams without level-aware keeping.
//
// Nothing is opened if cfg is invalid, and a failed Build closes whatever
// it opened.
func BuildStreams(cfg zap.Config, opts ...zap.Option) (*zap.Logger, *Streams, error) {
	if cfg.Level == (zap.AtomicLevel{}) {
		// cfg.Build opens every sink before it finds this, and leaks them.
		return nil, nil, errors.New("logsink: build: missing Level")
	}
	// zap checks the encoding and builds the options before any sink is
	// opened, so that a bad config opens nothing.
	probe := cfg
	probe.OutputPaths, probe.ErrorOutputPaths = nil, nil
	if _, err := probe.Build(); err != nil {
		return nil, nil, fmt.Errorf("logsink: build: %w", err)
	}

	ss := &Streams{byURL: make(map[string]*Stream)}
	logger, err := ss.build(cfg, opts)
	if err != nil {
		return nil, nil, errors.Join(err, ss.closeAll())
	}
	ss.logger = logger
	return logger, ss, nil
}

// build opens cfg's outputs and builds the logger; the caller closes what
// it opened if it fails.
func (ss *Streams) build(cfg zap.Config, opts []zap.Option) (*zap.Logger, error) {
	var outputs []*Stream // distinct, in order
	var others []string
	for i, paths := range [][]string{cfg.OutputPaths, cfg.ErrorOutputPaths} {
		for _, p := range paths {
			if !isRegistered(p) {
				if i == 0 {
					others = append(others, p)
				}
				continue
			}
			s, err := ss.open(p)
			if err != nil {
				return nil, err
			}
			if i == 0 && !slices.Contains(outputs, s) {
				outputs = append(outputs, s)
			}
		}
	}
	// The other outputs are opened here rather than by cfg.Build, which
	// would drop their closers.
	if len(others) > 0 {
		sink, closeOthers, err := zap.Open(others...)
		if err != nil {
			return nil, fmt.Errorf("logsink: build: %w", err)
		}
		ss.others, ss.closeOthers = sink, closeOthers
	}
	b, err := ss.bridge()
	if err != nil {
		return nil, err
	}
	defer b.release()

	var logger *zap.Logger
	if enc := newEncoder(cfg); enc != nil {
		logger, err = buildCores(cfg, enc, outputs, b, opts)
	} else {
		cfg.OutputPaths, cfg.ErrorOutputPaths = b.outputs(cfg.OutputPaths, true), b.errorOutputs(cfg.ErrorOutputPaths)
		if cfg.Sampling != nil {
			sc := *cfg.Sampling
			sc.Hook = countSampled(outputs, sc.Hook)
			cfg.Sampling = &sc
		}
		logger, err = cfg.Build(opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("logsink: build: %w", err)
	}
	return logger, nil
}

// newEncoder returns the encoder zap registers for cfg.Encoding, for the
// two encodings zap has built in, or nil for any other.
func newEncoder(cfg zap.Config) zapcore.Encoder {
	switch cfg.Encoding {
	case "json":
		return zapcore.NewJSONEncoder(cfg.EncoderConfig)
	case "console":
		return zapcore.NewConsoleEncoder(cfg.EncoderConfig)
	}
	return nil
}

// buildCores builds the logger with a NewCore for each output stream. zap
// builds the logger itself, with the other output paths and the error
// outputs; its core is then replaced by the streams' cores beside zap's
// own core for the other outputs, and the sampler and initial fields, which
// zap would have put around its core, are put around them all, in zap's
// order. TestBuildMatchesZap compares the result with cfg.Build's.
func buildCores(cfg zap.Config, enc zapcore.Encoder, outputs []*Stream, b bridged, opts []zap.Option) (*zap.Logger, error) {
	base := cfg
	base.OutputPaths, base.ErrorOutputPaths = b.outputs(cfg.OutputPaths, false), b.errorOutputs(cfg.ErrorOutputPaths)
	base.Sampling, base.InitialFields = nil, nil
	logger, err := base.Build()
	if err != nil {
		return nil, err
	}
	cores := make([]zapcore.Core, 0, len(outputs)+1)
	for _, s := range outputs {
		cores = append(cores, NewCore(enc.Clone(), s, cfg.Level))
	}
	logger = logger.WithOptions(zap.WrapCore(func(zapCore zapcore.Core) zapcore.Core {
		if b.othersURL != "" {
			return zapcore.NewTee(append(cores, zapCore)...)
		}
		return zapcore.NewTee(cores...) // zap's core writes nowhere; skip its encoding
	}))

	// What zap.Config.Build does with Sampling and InitialFields (zap
	// v1.28, config.go buildOptions).
	if sc := cfg.Sampling; sc != nil {
		hook := countSampled(outputs, sc.Hook)
		logger = logger.WithOptions(zap.WrapCore(func(core zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(core, time.Second, sc.Initial, sc.Thereafter, zapcore.SamplerHook(hook))
		}))
	}
	if len(cfg.InitialFields) > 0 {
		keys := make([]string, 0, len(cfg.InitialFields))
		for k := range cfg.InitialFields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fields := make([]zap.Field, 0, len(keys))
		for _, k := range keys {
			fields = append(fields, zap.Any(k, cfg.InitialFields[k]))
		}
		logger = logger.WithOptions(zap.Fields(fields...))
	}
	return logger.WithOptions(opts...), nil
}

// countSampled returns a sampler hook that counts each entry the sampler
// drops in every stream's Stats().Sampled, then calls next if it is set.
func countSampled(streams []*Stream, next func(zapcore.Entry, zapcore.SamplingDecision)) func(zapcore.Entry, zapcore.SamplingDecision) {
	return func(ent zapcore.Entry, dec zapcore.SamplingDecision) {
		if dec&zapcore.LogDropped != 0 {
			for _, s := range streams {
				s.stats.sampled.Add(1)
			}
		}
		if next != nil {
			next(ent, dec)
		}
	}
}

// Streams are the streams that BuildStreams opened, by their URLs as
// written in the zap.Config. A Streams is a Reopener, so
// rotate.ReopenOnSignal(streams) reopens its files on SIGHUP.
type Streams struct {
	logger      *zap.Logger
	urls        []string
	byURL       map[string]*Stream
	others      zapcore.WriteSyncer // the other output paths, opened by zap
	closeOthers func()

	closeOnce sync.Once
	closeErr  error
}

var _ Reopener = (*Streams)(nil)

// open opens the stream for rawURL, or returns the one already opened for
// it.
func (ss *Streams) open(rawURL string) (*Stream, error) {
	if s := ss.byURL[rawURL]; s != nil {
		return s, nil
	}
	s, err := OpenURL(rawURL)
	if err != nil {
		return nil, err
	}
	ss.urls = append(ss.urls, rawURL)
	ss.byURL[rawURL] = s
	return s, nil
}

// URLs returns the URLs of the streams, in the order Build opened them:
// output paths first, then error output paths.
func (ss *Streams) URLs() []string { return slices.Clone(ss.urls) }

// Stream returns the stream opened for rawURL, written as in the
// zap.Config, or nil if there is none.
func (ss *Streams) Stream(rawURL string) *Stream { return ss.byURL[rawURL] }

// Stats returns each stream's Stats by URL. To publish them:
// expvar.Publish("logs", expvar.Func(func() any { return streams.Stats() })).
func (ss *Streams) Stats() map[string]Stats {
	m := make(map[string]Stats, len(ss.urls))
	for _, u := range ss.urls {
		m[u] = ss.byURL[u].Stats()
	}
	return m
}

// Reopen reopens every stream whose destination can reopen its file
// (rotate's), as Stream.Reopen does, for logrotate's SIGHUP; other streams
// are left alone. It returns every stream's error, each naming its URL.
func (ss *Streams) Reopen() error {
	var errs []error
	for _, u := range ss.urls {
		if err := ss.byURL[u].Reopen(); err != nil && !errors.Is(err, ErrNotReopenable) {
			errs = append(errs, fmt.Errorf("logsink: reopen %q: %w", u, err))
		}
	}
	return errors.Join(errs...)
}

// Close syncs the logger, then flushes, syncs and closes every stream, and
// closes the other output paths Build opened (files). It returns the
// streams' errors, each naming its URL. Later calls return nil.
func (ss *Streams) Close() error {
	ss.closeOnce.Do(func() {
		if ss.logger != nil {
			_ = ss.logger.Sync() // the streams' own Close reports their errors
		}
		ss.closeErr = ss.closeAll()
	})
	return ss.closeErr
}

func (ss *Streams) closeAll() error {
	var errs []error
	for _, u := range ss.urls {
		if err := ss.byURL[u].Close(); err != nil {
			errs = append(errs, fmt.Errorf("logsink: close %q: %w", u, err))
		}
	}
	if ss.closeOthers != nil {
		ss.closeOthers()
	}
	return errors.Join(errs...)
}

// The bridge scheme hands what Build has opened to zap.Config.Build, which
// opens its outputs by URL: each stream, and the other outputs together,
// are registered under a URL of the bridge scheme for the duration of the
// Build. A bridged sink's Close does nothing: the Streams own what it
// writes to.
const bridgeScheme = "logsink-build"

var bridges struct {
	once sync.Once
	err  error

	mu    sync.Mutex
	next  uint64
	sinks map[string]zapcore.WriteSyncer // by the bridge URL's opaque part
}

type bridgeSink struct{ zapcore.WriteSyncer }

func (bridgeSink) Close() error { return nil }

// bridged is a Build's registration with the bridge scheme.
type bridged struct {
	urls      map[string]string // bridge URL by stream URL
	othersURL string            // the other outputs' bridge URL, if any
	ids       []string
}

// bridge registers ss's streams and other outputs with the bridge scheme.
func (ss *Streams) bridge() (bridged, error) {
	bridges.once.Do(func() {
		bridges.err = zap.RegisterSink(bridgeScheme, func(u *url.URL) (zap.Sink, error) {
			bridges.mu.Lock()
			defer bridges.mu.Unlock()
			ws := bridges.sinks[u.Opaque]
			if ws == nil {
				return nil, errors.New("logsink: no such sink: the bridge scheme is for Build only")
			}
			return bridgeSink{ws}, nil
		})
	})
	if bridges.err != nil {
		return bridged{}, fmt.Errorf("logsink: build: %w", bridges.err)
	}
	b := bridged{urls: make(map[string]string, len(ss.urls))}
	bridges.mu.Lock()
	defer bridges.mu.Unlock()
	if bridges.sinks == nil {
		bridges.sinks = make(map[string]zapcore.WriteSyncer)
	}
	add := func(ws zapcore.WriteSyncer) string {
		bridges.next++
		id := strconv.FormatUint(bridges.next, 10)
		bridges.sinks[id] = ws
		b.ids = append(b.ids, id)
		return bridgeScheme + ":" + id
	}
	for _, u := range ss.urls {
		b.urls[u] = add(ss.byURL[u])
	}
	if ss.others != nil {
		b.othersURL = add(ss.others)
	}
	return b, nil
}

// outputs maps a Build's output paths to bridge URLs: each stream's, if
// streams is set, then the other outputs' one.
func (b bridged) outputs(paths []string, streams bool) []string {
	var out []string
	for _, p := range paths {
		if u, ok := b.urls[p]; ok && streams && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if b.othersURL != "" {
		out = append(out, b.othersURL)
	}
	return out
}

// errorOutputs maps the streams among a Build's error output paths to
// their bridge URLs; zap opens the others.
func (b bridged) errorOutputs(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = p
		if u, ok := b.urls[p]; ok {
			out[i] = u
		}
	}
	return out
}

// release unregisters the Build's sinks.
func (b bridged) release() {
	bridges.mu.Lock()
	defer bridges.mu.Unlock()
	for _, id := range b.ids {
		delete(bridges.sinks, id)
	}
}
