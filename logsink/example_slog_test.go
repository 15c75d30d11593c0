package logsink_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// withoutTime is a ReplaceAttr that leaves out the time, so that the
// examples' output is the same on every run.
func withoutTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func ExampleNewSlogHandler() {
	var out bytes.Buffer // any io.Writer; a file in a real service
	s := logsink.New(&out, logsink.WithPolicy(logsink.Drop))
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: withoutTime},
	}))

	logger.Info("listening", "port", 8080)
	logger.Debug("not enabled")
	// Warn and above use WriteKeep: under Drop they wait for room.
	logger.With("req", "r1").WithGroup("http").Warn("slow request", "status", 200, "took", 2*time.Second)

	// Close flushes the buffer and syncs and closes the destination.
	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// {"level":"INFO","msg":"listening","port":8080}
	// {"level":"WARN","msg":"slow request","req":"r1","http":{"status":200,"took":2000000000}}
}

// Under the Drop policy, records that find the buffer full are dropped; the
// next record that finds room is preceded by a summary of what was lost, in
// the handler's format and through its ReplaceAttr.
func ExampleNewSlogHandler_dropSummary() {
	var out bytes.Buffer
	s := logsink.New(&out,
		logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(160), // room for three of the records below
		logsink.WithHighWaterMark(160),
		logsink.WithFlushInterval(time.Hour),
	)
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: withoutTime},
		Text:           true,
	}))

	for i := range 5 {
		logger.Info("request served", "path", "/api/items", "n", i)
	}
	_ = s.Sync() // the destination catches up
	logger.Info("request served", "path", "/api/items", "n", 5)

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	fmt.Println("dropped:", s.Stats().Dropped)
	// Output:
	// level=INFO msg="request served" path=/api/items n=0
	// level=INFO msg="request served" path=/api/items n=1
	// level=INFO msg="request served" path=/api/items n=2
	// level=WARN msg="logsink: dropped log entries" dropped_entries=2 dropped_bytes=104
	// level=INFO msg="request served" path=/api/items n=5
	// dropped: 2
}

// The slog handler keeps a backlog too; SlogRequestBacklog gives one
// request a backlog of its own, and slog's own handlers ignore it.
func ExampleSlogRequestBacklog() {
	var out bytes.Buffer
	s := logsink.New(&out)
	logger := slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{
		HandlerOptions: slog.HandlerOptions{ReplaceAttr: withoutTime},
		Text:           true,
		Backlog:        &logsink.SlogBacklog{}, // debug records, written before an error
	}))

	serve := func(id string, fail bool) {
		reqLog := logger.With(logsink.SlogRequestBacklog(64<<10), "req", id)
		reqLog.Debug("parsed body", "items", 3)
		if fail {
			reqLog.Error("payment declined")
			return
		}
		reqLog.Info("served")
	}
	serve("r1", false)
	serve("r2", true)
	serve("r3", false)

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// level=INFO msg=served req=r1
	// level=DEBUG msg="parsed body" req=r2 items=3 backlog=true
	// level=ERROR msg="payment declined" req=r2
	// level=INFO msg=served req=r3
}
