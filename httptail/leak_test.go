package httptail_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes its hubs, servers and clients; this fails the package
// if a client's stream, handler or connection outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
