package lifecycle

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateGuestName(t *testing.T) {
	t.Parallel()
	long := "a234567890123456789012345678901234567890123456789012345678901234"
	for name, ok := range map[string]bool{
		"web-01": true, "web-01.lab": true, "1web": true, "a": true,
		"": false, "web_01": false, "-web": false, "web-": false, "web..lab": false, "web 01": false, long: false, long[1:]: true,
	} {
		err := ValidateGuestName(name)
		if (err == nil) != ok {
			t.Errorf("ValidateGuestName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && !errors.As(err, new(*ValidationError)) {
			t.Errorf("ValidateGuestName(%q) = %T, want *ValidationError", name, err)
		}
	}
}

func TestValidateVMID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[int]bool{99: false, 100: true, 999999999: true, 1000000000: false, 0: false, -5: false} {
		if err := ValidateVMID(id); (err == nil) != ok {
			t.Errorf("ValidateVMID(%d) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestParseMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int // MiB; 0 = error
	}{
		{"8G", 8192}, {"512M", 512}, {"2048", 2048}, {"1.5G", 1536}, {"8GiB", 8192},
		{"8", 0}, {"1000K", 0}, {"lots", 0}, {"", 0}, {"8K", 0},
	}
	for _, tt := range tests {
		got, err := ParseMemory(tt.in)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDiskSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
	}{
		{"32G", 32 << 30}, {"32", 32 << 30}, {"1T", 1 << 40}, {"512M", 0}, {"0", 0}, {"x", 0},
	}
	for _, tt := range tests {
		got, err := ParseDiskSize(tt.in)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("ParseDiskSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTags(t *testing.T) {
	t.Parallel()
	got, err := ParseTags("web, prod;web,_x.y+z")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"web", "prod", "_x.y+z"}, got); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	if _, err := ParseTags("ok,-bad"); err == nil {
		t.Error("ParseTags accepted a tag starting with '-'")
	}
	if got, err := ParseTags(""); err != nil || len(got) != 0 {
		t.Errorf("ParseTags(\"\") = %v, %v; want none", got, err)
	}
}
