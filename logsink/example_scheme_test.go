package logsink_test

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/streamsink/streamsink/logsink"
	_ "github.com/streamsink/streamsink/stdout" // registers stream:
)

// OpenURL opens a stream from the strings zap's OutputPaths take, for any
// writer: a log/slog handler, or a plain fmt.Fprintln.
func ExampleOpenURL() {
	s, err := logsink.OpenURL("stream:stdout?policy=drop&buffer_size=64KiB")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Fprintln(s, "through a stream opened from a URL")
	if err := s.Close(); err != nil { // flushes; standard output stays open
		fmt.Println(err)
	}

	_, err = logsink.OpenURL("stream:stdout?buffer_size=2GiB")
	fmt.Println(err)
	// Output:
	// through a stream opened from a URL
	// logsink: open "stream:stdout?buffer_size=2GiB": logsink: buffer_size=2GiB: more than the maximum, 1GiB
}

// BuildStreams gives the streams it opened by URL: their Stats to publish
// (expvar), Reopen for logrotate's SIGHUP (rotate.ReopenOnSignal(streams)
// with rotate: URLs), and Close at exit.
func ExampleBuildStreams() {
	const url = "stream:stdout?policy=drop"
	cfg := zap.NewProductionConfig()
	cfg.Sampling = nil              // zap's production config samples; Stats().Sampled counts what it drops
	cfg.EncoderConfig.TimeKey = ""  // for a stable Output below
	cfg.DisableCaller = true        // likewise
	cfg.OutputPaths = []string{url} // rotate:///var/log/app.log?max_size=100MB with package rotate
	cfg.ErrorOutputPaths = []string{"stderr"}
	logger, streams, err := logsink.BuildStreams(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.Info("request served")
	logger.Warn("slow upstream")
	if err := streams.Close(); err != nil { // syncs the logger, flushes and closes the streams
		fmt.Println(err)
	}
	st := streams.Stats()[url]
	fmt.Println("entries:", st.Entries, "dropped:", st.Dropped, "sampled:", st.Sampled)
	// Output:
	// {"level":"info","msg":"request served"}
	// {"level":"warn","msg":"slow upstream"}
	// entries: 2 dropped: 0 sampled: 0
}
