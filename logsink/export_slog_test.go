package logsink

import "log/slog"

// SlogPreformatAfter is the number of records after which a handler made
// by WithAttrs or WithGroup formats its attributes once per lane.
const SlogPreformatAfter = slogPreformatAfter

// SlogPreformatted reports whether h, made by NewSlogHandler and then
// WithAttrs or WithGroup, has lanes of its own with its attributes
// formatted once.
func SlogPreformatted(h slog.Handler) bool {
	sh, ok := h.(*slogHandler)
	return ok && sh.preformatted.Load() != nil
}
