package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

// Defaults used when a Config field is zero.
const (
	DefaultMaxSize = 100 << 20 // bytes, lumberjack's default of 100 megabytes
	DefaultMode    = logsink.FileMode(0o640)
)

// minEvery is the shortest time-rotation period Validate accepts.
const minEvery = time.Second

// The smallest MaxSize and MaxAge Validate accepts. Smaller values are
// lumberjack's units (megabytes and days) written into rotate's (bytes and
// a duration): MaxSize 100 meant 100 MiB there, MaxAge 28 meant 28 days.
const (
	minMaxSize = 4 << 10
	minMaxAge  = time.Minute
)

// Config describes a rotating log file and the stream in front of it. The
// zero value, but for Filename, means defaults. Go callers fill it with
// plain values (MaxSize: 64 << 20, MaxAge: 7 * 24 * time.Hour, Mode: 0o600).
// JSON, YAML and the "rotate" URL scheme read text forms: sizes such as
// 64KiB or 100MB, modes in octal such as "0640", and, in YAML and URLs,
// Go durations such as 168h (encoding/json reads durations as integer
// nanoseconds). The embedded logsink.Config adds the stream settings
// (buffer_size, policy, flush_interval, ...) under the same names.
//
// Config has no marshal methods, so it embeds in a service's own config
// struct without taking over that struct's encoding (in YAML, embed it
// with `yaml:",inline"`).
type Config struct {
	// Filename is the file to write. Backups go in the same directory, which
	// is created if needed. Relative names are taken from the working
	// directory at open time. Required.
	Filename string `json:"filename" yaml:"filename"`
	// MaxSize is the size in bytes at which the file rotates, between two
	// entries: a file exceeds it only by a single entry larger than MaxSize
	// on its own. It is in bytes, not lumberjack's megabytes: Validate
	// refuses anything under 4KiB as a likely mistake (FromLumberjack
	// converts lumberjack's units). In text, "100MB" is decimal (100e6
	// bytes) and "100MiB" binary, lumberjack's megabyte. Defaults to 100 MiB
	// if unspecified.
	MaxSize logsink.Size `json:"max_size,omitempty" yaml:"max_size,omitempty"`
	// MaxAge is how long a backup is kept, judged by the time in its name
	// (the stream's clock at the rotation) against the stream's clock now.
	// It is a duration, not lumberjack's days: Validate refuses anything
	// under a minute as a likely mistake (28 days is 672h). Defaults to 0 (backups are not removed for their age) if unspecified.
	MaxAge time.Duration `json:"max_age,omitempty" yaml:"max_age,omitempty"`
	// MaxBackups is how many backups are kept. Defaults to 0 (keep them
	// all, though MaxAge and MaxTotalSize may still remove them) if
	// unspecified.
	MaxBackups int `json:"max_backups,omitempty" yaml:"max_backups,omitempty"`
	// MaxTotalSize caps the bytes that the file and its backups, compressed
	// or not, take together: after each rotation and at open, the oldest
	// backups are removed until the rest fit beside the file counted at
	// MaxSize, the most it grows to before it rotates, so disk use stays
	// under the cap between rotations too. It applies together with
	// MaxBackups and MaxAge and never removes the file being written. It
	// must be at least MaxSize (or its default); from twice MaxSize a full
	// backup fits. Defaults to 0 (no cap) if unspecified.
	MaxTotalSize logsink.Size `json:"max_total_size,omitempty" yaml:"max_total_size,omitempty"`
	// KeepFree is a floor of free space on the file system of the log
	// (what an unprivileged process may use). At open, before each
	// rotation and when a write fails because the disk is full, rotate
	// removes its own backups, oldest first (compressed or not; never the
	// file being written, another program's files, or a backup held for
	// AfterRotate), until the floor is met or none are left, and then
	// retries the write. Each removal is reported through the stream's
	// OnError and counted in File.Stats().KeepFreeRemoved. Defaults to 0
	// (off) if unspecified.
	KeepFree logsink.Size `json:"keep_free,omitempty" yaml:"keep_free,omitempty"`
	// Compress gzips backups in the background after each rotation.
	// Defaults to false if unspecified.
	Compress bool `json:"compress,omitempty" yaml:"compress,omitempty"`
	// LocalTime uses the local time zone for backup names and for Every's
	// boundaries. Defaults to false (UTC) if unspecified.
	LocalTime bool `json:"local_time,omitempty" yaml:"local_time,omitempty"`
	// Every rotates the file on the wall clock: 24h at midnight, 1h on the
	// hour, 15m at the quarter hours. Periods under a day start again at
	// midnight; longer ones are counted in whole days from 1 January of
	// year 1, a Monday, so 168h rotates at midnight between Sunday and
	// Monday. A boundary with nothing written since the last rotation
	// makes no empty backup. An existing file last modified before the
	// most recent boundary (the service was down when it passed) is
	// rotated at open, so the file holds only the current period's
	// entries. At least 1s. Defaults to 0 (no time rotation) if
	// unspecified.
	Every time.Duration `json:"every,omitempty" yaml:"every,omitempty"`
	// RotateOnOpen rotates an existing, non-empty file at open, so that
	// each run of the service starts a new file. Defaults to false if
	// unspecified.
	RotateOnOpen bool `json:"rotate_on_open,omitempty" yaml:"rotate_on_open,omitempty"`
	// Mode is the permission bits of a file rotate creates with no
	// predecessor (the first file), set exactly whatever the umask; an
	// existing file keeps its own mode. A file made by rotation, by Follow
	// after the old one vanished, or by Reopen takes the mode and owner of
	// the file it replaces, read from the open descriptor, as lumberjack
	// does, so an operator's chmod survives rotation. The owner must be
	// able to write. Defaults to 0640 if unspecified.
	Mode logsink.FileMode `json:"mode,omitempty" yaml:"mode,omitempty"`
	// Follow makes the stream check, once per flush interval, that the
	// file at Filename is still the one it writes (same device and inode).
	// If another tool deleted or renamed it, writing goes on in the file
	// now at the path, or in a new one created with Mode, starting with
	// what is still buffered, and Stats().Reopens counts the switch. Off
	// ("follow: false") keeps writing to the open file whatever happens to
	// its path, until Reopen. Defaults to On if unspecified.
	Follow Switch `json:"follow,omitempty" yaml:"follow,omitempty"`

	// BeforeRotate, if set, is called when a rotation starts, after the
	// stream has flushed and fsynced the file. In a stream it runs on the
	// stream's hook goroutine, in order with the stream's own hooks, and
	// may log through the stream; the rotation does not wait for it, so it
	// may run once the file is already renamed. A File used without a
	// stream calls it on the goroutine that called Rotate.
	BeforeRotate func() `json:"-" yaml:"-"`
	// AfterRotate, if set, is called after each rotation with the path the
	// old file was renamed to, for example to upload or index it. In a
	// stream it runs on the stream's hook goroutine, in order with the
	// stream's own hooks, and may log through the stream, which goes on
	// writing meanwhile; a File used without a stream calls it on the
	// goroutine that called Rotate. The backup is neither compressed nor
	// removed (MaxBackups, MaxAge, MaxTotalSize) before AfterRotate has
	// returned; if the File closes first, that waits for the next open.
	// It is not called when the file had vanished or been
	// replaced by another tool, so there was nothing of ours to rename.
	// For a rotation at open (Every, RotateOnOpen), the hooks run at the
	// File's first write, Follow, Rotate, Reopen or Close, never before
	// Open has returned.
	AfterRotate func(backupPath string) `json:"-" yaml:"-"`

	// Config holds the stream settings.
	logsink.Config `yaml:",inline"`
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.Mode == 0 {
		c.Mode = DefaultMode
	}
	return c
}

// Validate reports every bad value, each naming its setting and value: an
// empty filename, negative sizes, counts and durations, lumberjack's units
// in rotate's fields (a max_size under 4KiB, which lumberjack would read as
// megabytes, a max_age under a minute, which it would read as days), a
// max_total_size
// below max_size, a follow that is not a boolean, a mode that is not
// permission bits or that the owner cannot write, bad stream settings, and,
// when every other value is good, a directory that cannot be created or
// written. It creates the file's directory if it is missing, but only then:
// a config with a bad value leaves nothing behind.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("rotate: "+format, args...))
	}
	// wrap gives a confkit wording the package's prefix, so a mistake reads
	// the same in rotate as in logsink, whichever way the config came.
	wrap := func(err error) { errs = append(errs, fmt.Errorf("rotate: %w", err)) }
	switch {
	case c.MaxSize < 0:
		wrap(confkit.Negative("max_size", c.MaxSize))
	case c.MaxSize > 0 && c.MaxSize < minMaxSize:
		add("max_size=%d bytes: lumberjack counts megabytes, rotate counts bytes (%dMiB); at least %s",
			int64(c.MaxSize), int64(c.MaxSize), logsink.Size(minMaxSize))
	}
	switch {
	case c.MaxAge < 0:
		wrap(confkit.Negative("max_age", c.MaxAge))
	case c.MaxAge > 0 && c.MaxAge < minMaxAge:
		add("max_age=%s is a duration, not days: %d days is %dh; at least %s",
			c.MaxAge, int64(c.MaxAge), int64(c.MaxAge)*24, minMaxAge)
	}
	if c.KeepFree < 0 {
		wrap(confkit.Negative("keep_free", c.KeepFree))
	}
	if c.MaxBackups < 0 {
		wrap(confkit.Negative("max_backups", c.MaxBackups))
	}
	switch maxSize := c.withDefaults().MaxSize; {
	case c.MaxTotalSize < 0:
		wrap(confkit.Negative("max_total_size", c.MaxTotalSize))
	case c.MaxTotalSize > 0 && maxSize > 0 && c.MaxTotalSize < maxSize:
		add("max_total_size=%s: must be at least max_size (%s), the most the file itself grows to", c.MaxTotalSize, maxSize)
	}
	if _, err := c.Follow.parse(); err != nil {
		add("follow=%q: %w", string(c.Follow), err)
	}
	switch {
	case c.Every < 0:
		wrap(confkit.Negative("every", c.Every))
	case c.Every > 0 && c.Every < minEvery:
		wrap(confkit.BelowMin("every", c.Every, minEvery))
	}
	switch {
	case c.Mode&^logsink.FileMode(os.ModePerm) != 0:
		add("mode=%s: not permission bits (want at most 0777, such as 0640)", c.Mode)
	case c.Mode != 0 && c.Mode&0o200 == 0:
		add("mode=%s: the owner must be able to write the file (such as 0640)", c.Mode)
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.Filename == "":
		add(`filename="": must not be empty`)
	case len(errs) > 0:
		// Touch the file system only for a config that is otherwise good.
	default:
		if err := checkPath(c.Filename); err != nil {
			add("filename=%q: %w", c.Filename, err)
		}
	}
	return errors.Join(errs...)
}

// checkPath makes name's directory if it is missing and checks that it can
// hold new files and that name is not a directory.
func checkPath(name string) error {
	if info, err := os.Stat(name); err == nil && info.IsDir() {
		return errors.New("is a directory")
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create directory %q: %w", dir, err)
	}
	// Rotation renames and creates files, so try creating one.
	probe, err := os.CreateTemp(dir, ".rotate-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write in directory %q: %w", dir, err)
	}
	return errors.Join(probe.Close(), os.Remove(probe.Name()))
}

// Open validates cfg, opens its file and returns a stream that writes to
// it, with cfg's stream settings followed by opts, so opts win. Closing the
// stream closes the file. NewFile gives the file on its own.
func Open(cfg Config, opts ...logsink.Option) (*logsink.Stream, error) {
	f, err := NewFile(cfg)
	if err != nil {
		return nil, err
	}
	s, err := logsink.Open(f, append(cfg.Config.Options(), opts...)...)
	if err != nil {
		return nil, errors.Join(err, f.Close()) // a failed open leaves nothing behind
	}
	return s, nil
}
