package logsink_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes the streams it opens; this fails the package if any
// flusher, timer or waiting writer outlives its stream.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
