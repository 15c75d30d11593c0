// Package conftest holds the checks that every config package's tests run
// the same way: a fuzz target's body for a URL scheme, and a failed URL open
// that leaves nothing behind. Only tests import it.
package conftest
