// Package docs holds the guides (the *.md files beside this one) and the
// test that keeps their code honest: docs_test.go compiles every Go block
// in README.md and docs/*.md and decodes every YAML and JSON block that
// says what it configures. How to mark a block is at the top of
// docs_test.go. It has no code of its own.
package docs
