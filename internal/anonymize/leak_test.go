package anonymize

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testKey is a fixed key so that pseudonyms (and golden files) are stable.
func testKey() []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// corpusKnown is what the leak corpus's workspace knows.
var corpusKnown = Known{
	Hosts:   []string{"pve1", "pve2", "web-01", "db-01", "nas-backup", "prod-pool", "local-lvm", "local"},
	Domains: []string{"lab.acme.internal"},
}

func newTestEngine(t testing.TB, r Rules) *Engine {
	t.Helper()
	e, err := New(testKey(), r, corpusKnown)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type corpusFile struct {
	name    string
	modes   []string // text, stream, json, yaml
	planted []string // must not appear in the output
	keep    []string // must still appear (precision)
}

var corpus = []corpusFile{
	{
		name:  "app.log",
		modes: []string{"text", "stream"},
		planted: []string{"pve1", "lab.acme.internal", "acme.internal", "ops@pve", "Tr0ub4dor&3xq",
			"automation@pve", "5d1f2a7e-9c3b-4e8a-b2d1-0f6e7a8b9c0d", "PVE:ops@pve", "Zm9vYmFyYmF6cXV4cXV1eA==",
			"web-01", "10.20.30.41", "BC:24:11:5E:7A:01", "jane.doe", "acme-corp.com", "192.168.77.12",
			"c2VjcmV0Y3NyZnRva2VudmFsdWVoZXJlMTIzNA", "2a01:4f8:c17:1b2e::41"},
		keep: []string{"local-lvm", `"scsi0"`, `"32G"`, "vmbr0", `"9.1.2"`, "2025-03-14T09:26:53.589Z", `"INFO"`,
			`"DEBUG"`, `"WARN"`, `"ERROR"`, "sync started", "/access/ticket", "correlation_id", "duration_ms", "c-7f3a"},
	},
	{
		name:  "qemu_config.json",
		modes: []string{"json", "text"},
		planted: []string{"nas-backup", "BC:24:11:5E:7A:02", "db-01", "863b31c3-42ca-4a92-aed7-4111f342f70a",
			"10.20.30.42", "10.20.30.1", "2a01:4f8:c17:1b2e::42", "deploy", "$5$rounds=5000$saltsalt$Qm9ndXNIYXNoZWRQYXNzd29yZA",
			"Qm9ndXNIYXNoZWRQYXNzd29yZA", "AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9ybGVha2NvcnB1c3BsYW50ZWQxMjM0", "workstation",
			"lab.acme.internal", "10.20.30.53", "jane.doe", "acme-corp.com", "prod-pool", "ddfb79b2-b484-4d66-88e7-6e76f2d1be77"},
		keep: []string{"vm-103-disk-3,size=30G", "local-lvm:vm-103-disk-0,size=32G", "ff:ff:ff:ff:ff:ff", "virtio-scsi-pci",
			"bridge=vmbr0,tag=20", `"bootdisk": "scsi0"`, "51b7599f869b9a3f564804a0aed290f3de803292", `"ostype": "l26"`, "/24", "/64"},
	},
	{
		name:  "access_ticket.json",
		modes: []string{"json", "text"},
		planted: []string{"ops@pve", "65F2A1B3:YDNz71IKnE0sWsm1SbV1PGwz3hAyprvygQ7SBkxHVtE", "YDNz71IKnE0sWsm1SbV1PGwz3hAyprvygQ7SBkxHVtE",
			"PVE:ops@pve", "yTMqV7BmOXUCzb0ODceFH7F"},
		keep: []string{"VM.Audit", "VM.PowerMgmt", `"CSRFPreventionToken"`, `"ticket"`, `"username"`},
	},
	{
		name:  "config.yaml",
		modes: []string{"yaml", "text"},
		planted: []string{"jane.doe", "acme-corp.com", "pve1", "lab.acme.internal", "automation@pve",
			"5d1f2a7e-9c3b-4e8a-b2d1-0f6e7a8b9c0d", "mirror-user", "M1rr0rPa55w0rd", "pve2", "10.20.30.12"},
		keep: []string{"local-lvm", "vmbr0", "32G", "tofu", "AB:CD:EF:01:23:45:67:89", "!ci-runner", ":8006"},
	},
	{
		name:  "main.tf",
		modes: []string{"text", "stream"},
		planted: []string{"10.20.30.11", "automation@pve", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Sup3r-S3cret-Root-PW",
			"web_01", "web-01", "pve1", "BC:24:11:5E:7A:01", "10.20.30.41", "10.20.30.1", "deploy", "Cl0udInit-PW-42",
			"AAAAB3NzaC1yc2EAAAADAQABAAABAQDplantedrsakeymaterialforleaktests0123456789abcdef", "jane@acme-laptop", "acme-laptop"},
		keep: []string{`datastore_id = "local-lvm"`, `interface    = "scsi0"`, `bridge      = "vmbr0"`, "proxmox_virtual_environment_vm",
			`username = "root"`, "vm_id     = 101", "/24"},
	},
	{
		name:  "inventory.yml",
		modes: []string{"yaml"},
		planted: []string{"deploy", "B3come-Root-Pw!", "web-01", "10.20.30.41", "shop-frontend", "shop.acme-corp.com",
			"acme-corp", "db-01", "10.20.30.42", "Db-R00t-Secret-9", "dba@acme-corp.com"},
		keep: []string{"ansible_user", "ansible_become_password", "children", "ansible_host", "mysql_root_password", "admin_email"},
	},
	{
		name:  "error_report.txt",
		modes: []string{"text", "stream"},
		planted: []string{"pve1", "db-01", "lab.acme.internal", "10.20.30.42", "automation@pve", "5d1f2a7e-9c3b-4e8a-b2d1-0f6e7a8b9c0d",
			"fe80::be24:11ff:fe5e:7a01", "bc:24:11:5e:7a:01", "jane.doe", "acme-corp.com", "ops@pve", "192.168.77.12",
			"Env-Pa55-Word-77", "pmc:Pg-Pa55-Word-88", "Pg-Pa55-Word-88", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
			"QyNTUxOQAAACBsZWFrY29ycHVzcHJpdmF0ZWtleWJvZHlsaW5lMg=="},
		keep: []string{"proxmox-mpc 0.4.0", "correlation c-7f3a", "start vm 101", "500 Internal Server Error", "vmbr0",
			"scsi0 on local-lvm 32G", "pve-manager/9.1.2/abcdef12", "Hint: run `proxmox-mpc health`", "TASK ERROR", ":5432/pmc"},
	},
}

func anonymizeAs(t *testing.T, e *Engine, mode string, in []byte) string {
	t.Helper()
	switch mode {
	case "text":
		return e.Text(string(in))
	case "stream":
		var out bytes.Buffer
		if err := e.Stream(&out, bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		return out.String()
	case "json":
		out, err := e.JSON(in)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	case "yaml":
		out, err := e.YAML(in)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	t.Fatalf("unknown mode %q", mode)
	return ""
}

func TestLeakCorpus(t *testing.T) {
	t.Parallel()
	for _, f := range corpus {
		in, err := os.ReadFile(filepath.Join("testdata", "leak", f.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.planted {
			if !strings.Contains(string(in), p) {
				t.Fatalf("%s: planted value %q is not in the input", f.name, p)
			}
		}
		for _, mode := range f.modes {
			t.Run(f.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				e := newTestEngine(t, Rules{})
				out := anonymizeAs(t, e, mode, in)
				for _, p := range f.planted {
					if strings.Contains(out, p) {
						t.Errorf("planted value %q leaked:\n%s", p, out)
					}
				}
				for _, k := range f.keep {
					if strings.Contains(string(in), k) && !strings.Contains(out, k) {
						t.Errorf("non-sensitive %q was changed:\n%s", k, out)
					}
				}
				if again := anonymizeAs(t, e, mode, []byte(out)); again != out {
					t.Errorf("not idempotent:\n%s\n---\n%s", out, again)
				}
				for p, real := range e.Mapping() {
					for _, s := range f.planted {
						if real == s && isSecretLike(s) {
							t.Errorf("secret %q in the reverse map as %q", s, p)
						}
					}
				}
				golden := filepath.Join("testdata", "golden", f.name+"."+mode+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if string(want) != out {
					t.Errorf("%s differs from the golden file (go test -update, then review the diff):\n%s", golden, out)
				}
			})
		}
	}
}

func isSecretLike(s string) bool {
	return strings.Contains(s, "PW") || strings.Contains(s, "Pa55") || strings.Contains(s, "Secret") || len(s) == 36
}
