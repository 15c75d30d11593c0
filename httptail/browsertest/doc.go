// Package browsertest drives httptail's HTML page in a real browser:
// Debian's chromium, headless, through chromedp. It is a module of its own
// (like bench/), so that chromedp never reaches the library's users.
//
//	cd httptail/browsertest
//	go test ./...                                     # skipped without chromium, failed under CI=true
//	go test -screenshot ../../docs/httptail.png ./...  # also saves the README's screenshot
//
// The test finds the browser in $CHROMIUM or on the path (chromium,
// chromium-browser, google-chrome) and starts it with a fresh profile and
// no network of its own. Everything the browser writes (its profile, its
// TMPDIR, HOME and XDG directories) is under the test's temporary
// directories, removed at the end: nothing is left in TMPDIR. Beside the
// page itself, it checks in the browser that another site's page cannot
// read the log, and that a DNS-rebound name (attacker.example, mapped to
// 127.0.0.1 with --host-resolver-rules) is refused. .ci/run installs
// Debian's chromium package.
package browsertest
