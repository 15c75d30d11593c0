package logsink

import (
	"errors"
	"time"

	"go.uber.org/zap/zapcore"
)

// Retry backoff after a failed write: it starts at minBackoff, doubles after
// each failure, and stops growing at maxBackoff.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// timer is a one-shot built on the stream's Clock, which only has tickers,
// so that tests drive every wait with a MockClock.
type timer struct {
	t *time.Ticker
	c <-chan time.Time
}

func (t *timer) start(c zapcore.Clock, d time.Duration) {
	t.stop()
	t.t = c.NewTicker(max(d, time.Nanosecond))
	t.c = t.t.C
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.t, t.c = nil, nil
}

func (t *timer) active() bool { return t.t != nil }

// backoff is the wait before retrying a failed write.
type backoff struct {
	d time.Duration
}

// next returns how long to wait after err: the backoff, doubled on every
// failure, or longer if the error says so with a RetryAfter() time.Duration
// method (a connection waiting to redial).
func (b *backoff) next(err error) time.Duration {
	b.d = min(max(2*b.d, minBackoff), maxBackoff)
	var hint interface{ RetryAfter() time.Duration }
	if errors.As(err, &hint) {
		return max(b.d, hint.RetryAfter())
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
