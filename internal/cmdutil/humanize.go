package cmdutil

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// HumanBytes formats a byte count with binary units and one decimal:
// "512 B", "1.0 KiB", "7.8 GiB". Negative counts keep their sign.
func HumanBytes(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			return "-8.0 EiB"
		}
		return "-" + HumanBytes(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	i := 0
	// Move up while the rounded value would print as 1024.0 or more.
	for i < len(units)-1 && math.Round(v*10)/10 >= 1024 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// HumanDuration formats d compactly with its two largest adjacent units,
// truncating: "45s", "5m", "5m30s", "2h15m", "3d4h". A zero second unit is
// left out ("5m", "3d"). Durations under a second are "0s"; negative
// durations get a leading "-".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++
		}
		return "-" + HumanDuration(-d)
	}
	const day = 24 * time.Hour
	type unit struct {
		size   time.Duration
		suffix string
	}
	units := [...]unit{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for i, u := range units {
		if d < u.size && i < len(units)-1 {
			continue
		}
		n := d / u.size
		s := strconv.FormatInt(int64(n), 10) + u.suffix
		if i+1 < len(units) {
			next := units[i+1] //nolint:gosec // G602: guarded by i+1 < len(units)
			if m := (d - n*u.size) / next.size; m > 0 {
				s += strconv.FormatInt(int64(m), 10) + next.suffix
			}
		}
		return s
	}
	return "0s"
}

// RelativeTime describes t relative to now the way gh does: "less than a
// minute ago", "1 minute ago", "3 hours ago", "2 days ago", "5 months ago",
// "1 year ago", and "in 3 minutes" for the future. A zero t is "never".
func RelativeTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d < time.Minute {
		if future {
			return "in less than a minute"
		}
		return "less than a minute ago"
	}
	const day = 24 * time.Hour
	var n int64
	var unit string
	switch {
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "minute"
	case d < day:
		n, unit = int64(d/time.Hour), "hour"
	case d < 30*day:
		n, unit = int64(d/day), "day"
	case d < 365*day:
		n, unit = int64(d/(30*day)), "month"
	default:
		n, unit = int64(d/(365*day)), "year"
	}
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}
