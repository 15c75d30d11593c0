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
// no network of its own. .ci/run installs Debian's chromium package.
package browsertest
