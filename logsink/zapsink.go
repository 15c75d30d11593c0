package logsink

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// registry records the schemes registered here and collects the streams
// they open during Build.
var registry struct {
	build sync.Mutex // held for a whole Build

	mu         sync.Mutex // guards the fields below
	schemes    map[string]bool
	collecting bool
	opened     []*Stream
}

// RegisterScheme registers a zap sink scheme whose URLs open a Stream, so
// that zap.Config.OutputPaths can name it. Closing the zap sink closes the
// stream. Packages rotate and stdout call it from init for "rotate" and
// "stream". It returns zap's error, without panicking, if the scheme is
// already registered.
func RegisterScheme(scheme string, open func(u *url.URL) (*Stream, error)) error {
	err := zap.RegisterSink(scheme, func(u *url.URL) (zap.Sink, error) {
		s, err := open(u)
		if err != nil {
			return nil, err // zap's error names the URL
		}
		registry.mu.Lock()
		if registry.collecting {
			registry.opened = append(registry.opened, s)
		}
		registry.mu.Unlock()
		return s, nil
	})
	if err != nil {
		return err
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.schemes == nil {
		registry.schemes = make(map[string]bool)
	}
	registry.schemes[strings.ToLower(scheme)] = true
	return nil
}

// Build builds a logger from cfg, as cfg.Build does, and also returns a
// function that syncs the logger and then closes every stream that cfg's
// OutputPaths and ErrorOutputPaths opened through a registered scheme
// (zap.Config.Build discards the closers of the sinks it opens). Call it
// once, at exit: it flushes, syncs and stops each stream.
//
// Each output path of a registered scheme gets its own NewCore, so that
// entries at Warn and above are kept under the Drop policy and drops are
// summarised in the log; other output paths get zap's own core. For an
// encoding other than "json" and "console" (one added with
// zap.RegisterEncoder), Build uses cfg.Build as it is, without that.
//
// Build serialises with other Builds; a zap.Open of a registered scheme on
// another goroutine during a Build would be closed by this Build's close
// function too.
func Build(cfg zap.Config, opts ...zap.Option) (*zap.Logger, func() error, error) {
	registry.build.Lock()
	defer registry.build.Unlock()
	setCollecting(true)
	logger, closeOut, err := build(cfg, opts)
	streams := setCollecting(false)

	closeAll := func() error {
		errs := []error{}
		for _, s := range streams {
			errs = append(errs, s.Close())
		}
		if closeOut != nil {
			closeOut()
		}
		return errors.Join(errs...)
	}
	if err != nil {
		return nil, nil, errors.Join(err, closeAll())
	}
	return logger, func() error {
		_ = logger.Sync() // the streams' own Close reports their errors
		return closeAll()
	}, nil
}

// setCollecting turns collecting on or off and returns what was collected.
func setCollecting(on bool) []*Stream {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	opened := registry.opened
	registry.collecting, registry.opened = on, nil
	return opened
}

func collected() int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return len(registry.opened)
}

func isRegistered(path string) bool {
	u, err := url.Parse(path)
	if err != nil {
		return false
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.schemes[u.Scheme]
}

// build is zap.Config.Build with a NewCore for each stream output.
func build(cfg zap.Config, opts []zap.Option) (*zap.Logger, func(), error) {
	var enc zapcore.Encoder
	switch cfg.Encoding {
	case "json":
		enc = zapcore.NewJSONEncoder(cfg.EncoderConfig)
	case "console":
		enc = zapcore.NewConsoleEncoder(cfg.EncoderConfig)
	default:
		logger, err := cfg.Build(opts...)
		return logger, nil, err
	}
	if cfg.Level == (zap.AtomicLevel{}) {
		return nil, nil, errors.New("missing Level")
	}

	var cores []zapcore.Core
	var others []string
	for _, path := range cfg.OutputPaths {
		if !isRegistered(path) {
			others = append(others, path)
			continue
		}
		before := collected()
		if _, _, err := zap.Open(path); err != nil {
			return nil, nil, err
		}
		registry.mu.Lock()
		for _, s := range registry.opened[before:] {
			cores = append(cores, NewCore(enc.Clone(), s, cfg.Level))
		}
		registry.mu.Unlock()
	}
	var closeOut func()
	if len(others) > 0 || len(cores) == 0 {
		sink, c, err := zap.Open(others...)
		if err != nil {
			return nil, nil, err
		}
		closeOut = c
		cores = append(cores, zapcore.NewCore(enc, sink, cfg.Level))
	}
	errSink, _, err := zap.Open(cfg.ErrorOutputPaths...)
	if err != nil {
		return nil, closeOut, err
	}
	logger := zap.New(zapcore.NewTee(cores...), buildOptions(cfg, errSink)...)
	if len(opts) > 0 {
		logger = logger.WithOptions(opts...)
	}
	return logger, closeOut, nil
}

// buildOptions gives the options zap.Config.Build gives (zap v1.28).
func buildOptions(cfg zap.Config, errSink zapcore.WriteSyncer) []zap.Option {
	opts := []zap.Option{zap.ErrorOutput(errSink)}
	if cfg.Development {
		opts = append(opts, zap.Development())
	}
	if !cfg.DisableCaller {
		opts = append(opts, zap.AddCaller())
	}
	stackLevel := zap.ErrorLevel
	if cfg.Development {
		stackLevel = zap.WarnLevel
	}
	if !cfg.DisableStacktrace {
		opts = append(opts, zap.AddStacktrace(stackLevel))
	}
	if sc := cfg.Sampling; sc != nil {
		opts = append(opts, zap.WrapCore(func(core zapcore.Core) zapcore.Core {
			var so []zapcore.SamplerOption
			if sc.Hook != nil {
				so = append(so, zapcore.SamplerHook(sc.Hook))
			}
			return zapcore.NewSamplerWithOptions(core, time.Second, sc.Initial, sc.Thereafter, so...)
		}))
	}
	if len(cfg.InitialFields) > 0 {
		keys := make([]string, 0, len(cfg.InitialFields))
		for k := range cfg.InitialFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fs := make([]zap.Field, 0, len(keys))
		for _, k := range keys {
			fs = append(fs, zap.Any(k, cfg.InitialFields[k]))
		}
		opts = append(opts, zap.Fields(fs...))
	}
	return opts
}
