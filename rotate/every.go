package rotate

import "time"

const day = 24 * time.Hour

// nextBoundary returns the first wall-clock boundary of every in loc after
// now. Periods under a day are counted from each midnight (the last one of
// a day may be cut short by the next midnight); a day or more is counted
// from 1 January of year 1. Around a daylight-saving change a boundary
// whose wall time is skipped falls at the first instant after the gap, and
// a repeated wall time rotates once.
func nextBoundary(now time.Time, every time.Duration, loc *time.Location) time.Time {
	t := now.In(loc)
	// Work on the wall clock, written as if it were UTC, where days are
	// always 24 hours long.
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	for {
		wall = nextWall(wall, every)
		next := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
		if next.After(now) {
			return next
		}
	}
}

// nextWall returns the first boundary after the wall-clock time wall.
func nextWall(wall time.Time, every time.Duration) time.Time {
	if every >= day {
		return wall.Truncate(every).Add(every)
	}
	midnight := wall.Truncate(day)
	next := midnight.Add(wall.Sub(midnight).Truncate(every) + every)
	if tomorrow := midnight.Add(day); next.After(tomorrow) {
		return tomorrow
	}
	return next
}
