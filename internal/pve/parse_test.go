package pve

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseUPID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want UPID
		ok   bool
	}{
		{"UPID:iaclab-01-01:00000DD3:1C419D88:6119FB65:srvreload:networking:root@pam:",
			UPID{Node: "iaclab-01-01", PID: 3539, PStart: 474062216, StartTime: time.Unix(1629092709, 0).UTC(), Type: "srvreload", ID: "networking", User: "root@pam"}, true},
		{"UPID:pve1:0000A1B2:1F2E3D4C5:65A1B2C3:qmstart:100:root@pam!ci:",
			UPID{Node: "pve1", PID: 0xA1B2, PStart: 0x1F2E3D4C5, StartTime: time.Unix(0x65A1B2C3, 0).UTC(), Type: "qmstart", ID: "100", User: "root@pam!ci"}, true},
		{"UPID:n:00000001:00000002:00000003:vzdump::root@pam:",
			UPID{Node: "n", PID: 1, PStart: 2, StartTime: time.Unix(3, 0).UTC(), Type: "vzdump", User: "root@pam"}, true},
		{"UPID:pve1:0000A1B2:1F2E3D4C:65A1B2C3:qmstart:100:root@pam", UPID{}, false},   // no trailing colon
		{"UPID:pve1:A1B2:1F2E3D4C:65A1B2C3:qmstart:100:root@pam:", UPID{}, false},      // short pid
		{"UPID:pve1:0000A1B2:1F2E3D4C:65A1B2C3::100:root@pam:", UPID{}, false},         // empty type
		{"UPID:-pve1:0000A1B2:1F2E3D4C:65A1B2C3:qmstart:100:root@pam:", UPID{}, false}, // bad node
		{"UPID:pve1:0000A1B2:1F2E3D4C:65A1B2C3:qmstart:100:root@pam:x", UPID{}, false}, // trailing junk
		{"UPID:pve1:0000G1B2:1F2E3D4C:65A1B2C3:qmstart:100:root@pam:", UPID{}, false},  // not hex
		{"UPID:pve1:0000A1B2:1F2E3D4C:65A1B2C3:qm start:100:root@pam:", UPID{}, false}, // space
		{"", UPID{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseUPID(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"8G", 8 << 30, true},
		{"512M", 512 << 20, true},
		{"1.5T", 3 << 39, true},
		{"10240K", 10240 << 10, true},
		{"32", 32, true},
		{"1P", 1 << 50, true},
		{"8g", 8 << 30, true},
		{"8GiB", 8 << 30, true},
		{"8GB", 8 << 30, true},
		{" 4G ", 4 << 30, true},
		{"1.3K", 1331, true}, // truncated like PVE
		{"0", 0, true},
		{".5G", 1 << 29, true},
		{"", 0, false},
		{"G", 0, false},
		{"-1G", 0, false},
		{"+10G", 0, false},
		{"1e3", 0, false},
		{"1.2.3G", 0, false},
		{"8X", 0, false},
		{"9999999P", 0, false}, // overflow
		{"NaN", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{8 << 30, "8G"}, {1536 << 20, "1536M"}, {3 << 39, "1536G"}, {1 << 40, "1T"}, {1000, "1000"}, {1024, "1K"}, {0, "0"}, {-5, "-5"}, {1 << 50, "1P"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePropertyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, def string
		want    []Pair
		str     string
		ok      bool
	}{
		{"virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1", "model",
			[]Pair{{"virtio", "BC:24:11:2E:C5:4A"}, {"bridge", "vmbr0"}, {"firewall", "1"}}, "virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1", true},
		{"local-lvm:vm-100-disk-0,iothread=1,size=32G", "file",
			[]Pair{{"file", "local-lvm:vm-100-disk-0"}, {"iothread", "1"}, {"size", "32G"}}, "local-lvm:vm-100-disk-0,iothread=1,size=32G", true},
		{"1,fstrim_cloned_disks=1", "enabled", []Pair{{"enabled", "1"}, {"fstrim_cloned_disks", "1"}}, "1,fstrim_cloned_disks=1", true},
		{"media=cdrom,none", "file", []Pair{{"media", "cdrom"}, {"file", "none"}}, "media=cdrom,file=none", true},
		{"file=local-lvm:cloudinit,", "file", []Pair{{"file", "local-lvm:cloudinit"}}, "local-lvm:cloudinit", true},
		{"order=scsi0;ide2;net0", "", []Pair{{"order", "scsi0;ide2;net0"}}, "order=scsi0;ide2;net0", true},
		{"a=b=c", "", []Pair{{"a", "b=c"}}, "a=b=c", true},
		{"", "x", nil, "", true},
		{"bare", "", nil, "", false},
		{"a,b", "k", nil, "", false},
		{"a=1,a=2", "", nil, "", false},
		{"=1", "", nil, "", false},
	}
	for _, tt := range tests {
		got, err := ParsePropertyString(tt.in, tt.def)
		if (err == nil) != tt.ok {
			t.Errorf("ParsePropertyString(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if diff := cmp.Diff(tt.want, got.Pairs); diff != "" {
			t.Errorf("ParsePropertyString(%q) (-want +got):\n%s", tt.in, diff)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("String() = %q, want %q", s, tt.str)
		}
	}
	ps, _ := ParsePropertyString("virtio=AA,bridge=vmbr0", "model")
	ps.Set("bridge", "vmbr1")
	ps.Set("tag", "10")
	if got := ps.String(); got != "virtio=AA,bridge=vmbr1,tag=10" {
		t.Errorf("after Set: %q", got)
	}
}

func TestParseNetDevice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want NetDevice
		ok   bool
	}{
		{"virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1,tag=10,rate=12.5,mtu=1500,link_down=1,queues=4,trunks=10;20",
			NetDevice{Model: "virtio", MAC: "BC:24:11:2E:C5:4A", Bridge: "vmbr0", Firewall: true, Tag: 10, Rate: 12.5, MTU: 1500, LinkDown: true, Queues: 4, Trunks: "10;20"}, true},
		{"model=virtio,bridge=vmbr0,firewall=0", NetDevice{Model: "virtio", Bridge: "vmbr0"}, true},
		{"e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr1,firewall=off", NetDevice{Model: "e1000", MAC: "AA:BB:CC:DD:EE:FF", Bridge: "vmbr1"}, true},
		{"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.5/24,gw=10.0.0.1,ip6=auto,type=veth,tag=20",
			NetDevice{Container: true, Name: "eth0", Model: "veth", Bridge: "vmbr0", MAC: "BC:24:11:00:00:01", IP: "10.0.0.5/24", Gateway: "10.0.0.1", IP6: "auto", Tag: 20}, true},
		{"virtio=AA,bridge=vmbr0,tag=0", NetDevice{}, false},
		{"virtio=AA,tag=x", NetDevice{}, false},
		{"virtio=AA,firewall=maybe", NetDevice{}, false},
		{"virtio=AA,e1000=BB", NetDevice{}, false},
		{"model=fancy", NetDevice{}, false},
		{"virtio=AA,rate=-1", NetDevice{}, false},
		{"bridge=vmbr0,bridge=vmbr1", NetDevice{}, false},
	}
	for _, tt := range tests {
		got, err := ParseNetDevice(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseNetDevice(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		got.Options = PropertyString{}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseNetDevice(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseDisk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Disk
		ok   bool
	}{
		{"local-lvm:vm-100-disk-0,iothread=1,size=32G", Disk{File: "local-lvm:vm-100-disk-0", Storage: "local-lvm", Volume: "vm-100-disk-0", Size: 32 << 30, Media: "disk", Options: map[string]string{"iothread": "1"}}, true},
		{"none,media=cdrom", Disk{File: "none", Volume: "none", Media: "cdrom", Options: map[string]string{}}, true},
		{"local:iso/debian-12.iso,media=cdrom,size=600M", Disk{File: "local:iso/debian-12.iso", Storage: "local", Volume: "iso/debian-12.iso", Size: 600 << 20, Media: "cdrom", Options: map[string]string{}}, true},
		{"/dev/disk/by-id/ata-X,backup=0", Disk{File: "/dev/disk/by-id/ata-X", Volume: "/dev/disk/by-id/ata-X", Media: "disk", Options: map[string]string{"backup": "0"}}, true},
		{"file=local-lvm:8,size=8589934592,format=raw", Disk{File: "local-lvm:8", Storage: "local-lvm", Volume: "8", Size: 8 << 30, Media: "disk", Format: "raw", Options: map[string]string{"format": "raw"}}, true},
		{"local-lvm:32", Disk{File: "local-lvm:32", Storage: "local-lvm", Volume: "32", Media: "disk", Options: map[string]string{}}, true},
		{"size=32G", Disk{}, false},
		{"local-lvm:x,size=big", Disk{}, false},
		{"local-lvm:x,media=tape", Disk{}, false},
		{":x", Disk{}, false},
		{"", Disk{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDisk(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseDisk(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok {
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDisk(%q) (-want +got):\n%s", tt.in, diff)
			}
		}
	}
}

func TestWireDecoders(t *testing.T) {
	t.Parallel()
	ints := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`100`, 100, true}, {`"100"`, 100, true}, {`""`, 0, true}, {`null`, 0, true}, {`-3`, -3, true},
		{`"3400.000"`, 3400, true}, {`1e3`, 1000, true}, {`true`, 1, true}, {`" 7 "`, 7, true},
		{`"abc"`, 0, false}, {`[1]`, 0, false}, {`{}`, 0, false}, {`1e300`, 0, false}, {``, 0, false},
	}
	for _, tt := range ints {
		got, err := DecodeInt([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("DecodeInt(%s) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	bools := []struct {
		in   string
		want bool
		ok   bool
	}{
		{`1`, true, true}, {`0`, false, true}, {`"1"`, true, true}, {`"0"`, false, true}, {`true`, true, true},
		{`false`, false, true}, {`"true"`, true, true}, {`"off"`, false, true}, {`null`, false, true}, {`""`, false, true},
		{`2`, true, true}, {`"maybe"`, false, false}, {`[]`, false, false},
	}
	for _, tt := range bools {
		got, err := DecodeBool([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("DecodeBool(%s) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	floats := []struct {
		in   string
		want float64
		ok   bool
	}{
		{`0.25`, 0.25, true}, {`"3400.000"`, 3400, true}, {`null`, 0, true}, {`"x"`, 0, false}, {`"NaN"`, 0, false},
	}
	for _, tt := range floats {
		got, err := DecodeFloat([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("DecodeFloat(%s) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	texts := []struct{ in, want string }{{`"a"`, "a"}, {`12`, "12"}, {`1.50`, "1.50"}, {`1e3`, "1000"}, {`true`, "1"}, {`null`, ""}}
	for _, tt := range texts {
		if got, err := DecodeText([]byte(tt.in)); err != nil || got != tt.want {
			t.Errorf("DecodeText(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseUPID(f *testing.F) {
	f.Add("UPID:node1:000FF1FD:10F9374C:630D702C:vzdump:110:root@pam:")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUPID(s)
		if err != nil {
			return
		}
		back, err := ParseUPID(u.String())
		if err != nil {
			t.Fatalf("String() %q of a parsed UPID does not parse: %v", u.String(), err)
		}
		if diff := cmp.Diff(u, back); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	f.Add("8G")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d < 0", s, n)
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("FormatSize(%d) = %q parses to %d, %v", n, FormatSize(n), back, err)
		}
	})
}

func FuzzParsePropertyString(f *testing.F) {
	f.Add("virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1", "model")
	f.Fuzz(func(t *testing.T, s, def string) {
		ps, err := ParsePropertyString(s, def)
		if err != nil {
			return
		}
		back, err := ParsePropertyString(ps.String(), def)
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", ps.String(), err)
		}
		if diff := cmp.Diff(ps, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}

func FuzzParseNetDevice(f *testing.F) {
	f.Add("virtio=BC:24:11:2E:C5:4A,bridge=vmbr0,firewall=1")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseNetDevice(s)
		if err != nil {
			return
		}
		back, err := ParseNetDevice(d.Options.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", d.Options.String(), err)
		}
		if diff := cmp.Diff(d, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}

func FuzzParseDisk(f *testing.F) {
	f.Add("local-lvm:vm-100-disk-0,iothread=1,size=32G")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDisk(s)
		if err != nil {
			return
		}
		if d.Size < 0 || d.File == "" || (d.Media != "disk" && d.Media != "cdrom") {
			t.Fatalf("ParseDisk(%q) = %+v", s, d)
		}
		if d.Storage != "" && d.Storage+":"+d.Volume != d.File {
			t.Fatalf("storage/volume %q/%q do not rebuild file %q", d.Storage, d.Volume, d.File)
		}
	})
}

func FuzzDecodeInt(f *testing.F) {
	f.Add([]byte(`"100"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeInt(b)
		if err != nil {
			return
		}
		back, err := DecodeInt([]byte(strconv.FormatInt(n, 10)))
		if err != nil || back != n {
			t.Fatalf("round trip of %d: %d, %v", n, back, err)
		}
		quoted, err := DecodeInt([]byte(strconv.Quote(strconv.FormatInt(n, 10))))
		if err != nil || quoted != n {
			t.Fatalf("string form of %d: %d, %v", n, quoted, err)
		}
	})
}

// FuzzDecodeText: for every JSON string, DecodeText (with its fast path
// for strings without escapes) answers what encoding/json does.
func FuzzDecodeText(f *testing.F) {
	for _, seed := range []string{`"scsi0"`, `"a\"b"`, `"\u00e9t\u00e9"`, "\"\xff\"", `"tab\there"`, `""`, `"`, `"x`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			return
		}
		got, err := DecodeText(b)
		if err != nil || got != want {
			t.Fatalf("DecodeText(%q) = %q, %v; encoding/json says %q", b, got, err, want)
		}
	})
}

// FuzzDecodeNumber: for every JSON number, DecodeText (with its fast path
// for plain integers) answers what encoding/json's Number does.
func FuzzDecodeNumber(f *testing.F) {
	for _, seed := range []string{`0`, `-0`, `012`, `123`, `-45`, `1e3`, `1.5`, `99999999999999999999`, `-`, ` 7 `} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want json.Number
		if err := json.Unmarshal(b, &want); err != nil {
			return
		}
		got, err := DecodeText(b)
		if err != nil || got != plainNumber(want.String()) {
			t.Fatalf("DecodeText(%q) = %q, %v; encoding/json says %q", b, got, err, want)
		}
	})
}

func FuzzDecodeBool(f *testing.F) {
	f.Add([]byte(`1`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeBool(b)
		if err != nil {
			return
		}
		enc, _ := Bool(v).MarshalJSON()
		back, err := DecodeBool(enc)
		if err != nil || back != v {
			t.Fatalf("round trip of %v: %v, %v", v, back, err)
		}
	})
}

func FuzzNormalizeFingerprint(f *testing.F) {
	f.Add("80:D4:F2:DF:64:95:CD:8D:A0:82:82:AC:48:BA:C0:7A:1B:6B:87:8B:FE:B9:83:1C:95:4E:79:58:77:99:69:F5")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := NormalizeFingerprint(s)
		if err != nil {
			return
		}
		again, err := NormalizeFingerprint(fp)
		if err != nil || again != fp || len(fp) != 95 {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, fp, again, err)
		}
	})
}
