// Package level reads log levels out of encoded entries and level names, for
// the destinations that see only an entry's bytes: netsink's syslog
// priority and httptail's level filter use the same names and the same
// scan, so a name one accepts the other accepts too.
//
// A level is a syslog severity (RFC 5424): 0 (emergency) is the most
// severe, 7 (debug) the least. zap's and slog's names map onto it, in any
// case: debug 7, info 6, warn 4, error 3, and dpanic, panic and fatal 2
// (critical); the syslog names (emerg, alert, crit, err, warning, notice,
// informational) map to their own severities.
package level
