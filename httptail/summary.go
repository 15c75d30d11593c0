package httptail

import (
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

// DroppedMessage is the message of the entry a client gets where entries
// were dropped for it because it fell behind. The service's own log is not
// affected: the gap is this client's alone.
const DroppedMessage = "httptail: dropped log entries: this client fell behind"

// dropSummary returns the summary a client's stream writes at a gap: one
// entry encoded like the service's own (a JSON encoder of cfg), at warn
// level, with message DroppedMessage and fields dropped_entries and
// dropped_bytes. The client's response frames it like any entry.
func dropSummary(cfg zapcore.EncoderConfig) logsink.SummaryFunc {
	return logsink.ZapSummary(zapcore.NewJSONEncoder(cfg), DroppedMessage)
}
