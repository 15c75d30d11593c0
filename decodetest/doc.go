// Package decodetest is a module of its own, so that its dependency never
// reaches users: it decodes streamsink's configs with mapstructure, the
// decoder behind viper, set up the way the README says, and checks the
// result.
package decodetest
