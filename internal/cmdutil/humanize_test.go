package cmdutil

import (
	"math"
	"testing"
	"time"
)

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1048575, "1.0 MiB"}, // rounds up into the next unit, never "1024.0 KiB"
		{8 << 30, "8.0 GiB"},
		{8375186227, "7.8 GiB"},
		{10000000000, "9.3 GiB"},
		{5 << 40, "5.0 TiB"},
		{math.MaxInt64, "8.0 EiB"},
		{-2048, "-2.0 KiB"},
		{math.MinInt64, "-8.0 EiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := HumanBytes(tt.n); got != tt.want {
				t.Errorf("HumanBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{5 * time.Minute, "5m"},
		{5*time.Minute + 30*time.Second, "5m30s"},
		{2*time.Hour + 15*time.Minute + 10*time.Second, "2h15m"},
		{time.Hour + 30*time.Second, "1h"},
		{3*day + 4*time.Hour + 5*time.Minute, "3d4h"},
		{3 * day, "3d"},
		{400 * day, "400d"},
		{-90 * time.Second, "-1m30s"},
		{time.Duration(math.MinInt64), "-106751d23h"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := HumanDuration(tt.d); got != tt.want {
				t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestRelativeTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"zero", time.Time{}, "never"},
		{"same instant", now, "less than a minute ago"},
		{"seconds", now.Add(-59 * time.Second), "less than a minute ago"},
		{"one minute", now.Add(-time.Minute), "1 minute ago"},
		{"minutes", now.Add(-3 * time.Minute), "3 minutes ago"},
		{"hours", now.Add(-5 * time.Hour), "5 hours ago"},
		{"one day", now.Add(-day), "1 day ago"},
		{"days", now.Add(-29 * day), "29 days ago"},
		{"months", now.Add(-65 * day), "2 months ago"},
		{"years", now.Add(-800 * day), "2 years ago"},
		{"future seconds", now.Add(10 * time.Second), "in less than a minute"},
		{"future", now.Add(3 * time.Minute), "in 3 minutes"},
		{"other zone", now.Add(-2 * time.Hour).In(time.FixedZone("x", 5*3600)), "2 hours ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RelativeTime(tt.t, now); got != tt.want {
				t.Errorf("RelativeTime = %q, want %q", got, tt.want)
			}
		})
	}
}
