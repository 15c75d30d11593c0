package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped config decodes with unknown keys refused.
func TestShippedConfigDecodes(t *testing.T) {
	cfg, err := decode(defaultConfig)
	require.NoError(t, err, "config.yaml")
	assert.Equal(t, "logs/audit.log", cfg.Audit.Filename, "audit filename")
	assert.Equal(t, "settings-service", cfg.Audit.Actor, "the service's own key beside rotate's")
	assert.NoError(t, cfg.Audit.Config.Config.Validate(), "stream settings")
}

// A misspelt key is an error naming it and its line, not a setting
// silently left at its default.
func TestMisspeltKeyIsAnError(t *testing.T) {
	doc := strings.Replace(string(defaultConfig), "  max_size: 4KiB", "  max_sise: 4KiB", 1)
	require.NotEqual(t, string(defaultConfig), doc, "the test changed the config")
	_, err := decode([]byte(doc))
	require.Error(t, err, "decode")
	assert.Contains(t, err.Error(), `field max_sise not found`, "the error names the key")
	assert.Contains(t, err.Error(), "line ", "and its line")
}

// A value out of range decodes, and Validate names the key and the value.
func TestOutOfRangeValueIsNamedByValidate(t *testing.T) {
	doc := strings.Replace(string(defaultConfig), "  max_size: 4KiB", "  max_size: -1", 1)
	require.NotEqual(t, string(defaultConfig), doc, "the test changed the config")
	cfg, err := decode([]byte(doc))
	require.NoError(t, err, "decode")
	assert.ErrorContains(t, cfg.Audit.Validate(), "rotate: max_size=-1: must not be negative", "Validate")
}

// A value that does not parse is a decoding error that quotes it.
func TestUnparseableValueIsQuoted(t *testing.T) {
	doc := strings.Replace(string(defaultConfig), "  max_size: 4KiB", "  max_size: lots", 1)
	_, err := decode([]byte(doc))
	assert.ErrorContains(t, err, `invalid size "lots": want bytes or a number with a unit such as 64KiB or 100MB`, "decode")
}
