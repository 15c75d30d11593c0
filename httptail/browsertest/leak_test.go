package browsertest

import (
	"testing"

	"go.uber.org/goleak"
)

// The hub, the server and the browser are all stopped by the end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
