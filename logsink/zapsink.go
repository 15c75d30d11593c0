package logsink

import (
	"errors"
	"fmt"
	"net/url"
	"sync"

	"go.uber.org/zap"
)

// build collects the streams that sink schemes open during Build.
var build struct {
	mu         sync.Mutex // held for a whole Build
	collecting bool
	opened     []*Stream
	openMu     sync.Mutex // guards collecting and opened
}

// RegisterScheme registers a zap sink scheme whose URLs open a Stream, so
// that zap.Config.OutputPaths can name it. Closing the zap sink closes the
// stream. Packages rotate and stdout call it from init for "rotate" and
// "stream". It returns zap's error, without panicking, if the scheme is
// already registered.
func RegisterScheme(scheme string, open func(u *url.URL) (*Stream, error)) error {
	return zap.RegisterSink(scheme, func(u *url.URL) (zap.Sink, error) {
		s, err := open(u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", redact(u), err)
		}
		build.openMu.Lock()
		if build.collecting {
			build.opened = append(build.opened, s)
		}
		build.openMu.Unlock()
		return s, nil
	})
}

// redact returns u without its user information, for error messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// Build builds a logger from cfg, like cfg.Build, and also returns a
// function that syncs the logger and closes every stream that cfg's
// OutputPaths and ErrorOutputPaths opened through a registered scheme
// (zap.Config.Build discards the closers of the sinks it opens). Call the
// close function once, at exit; it flushes, syncs and stops each stream.
func Build(cfg zap.Config, opts ...zap.Option) (*zap.Logger, func() error, error) {
	build.mu.Lock()
	build.openMu.Lock()
	build.collecting, build.opened = true, nil
	build.openMu.Unlock()

	logger, err := cfg.Build(opts...)

	build.openMu.Lock()
	streams := build.opened
	build.collecting, build.opened = false, nil
	build.openMu.Unlock()
	build.mu.Unlock()

	closeAll := func() error {
		var errs []error
		for _, s := range streams {
			errs = append(errs, s.Close())
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
