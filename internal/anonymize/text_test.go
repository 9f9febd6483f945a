package anonymize

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestTextCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		gone []string // must not be in the output
		keep []string // must be in the output
	}{
		{"ipv4", "from 192.168.1.20 to 8.8.8.8", []string{"192.168.1.20", "8.8.8.8"}, []string{"from ", " to "}},
		{"not ips", "version 9.1.2 at 10:30:00 size 32G v1.2.3.x", nil, []string{"9.1.2", "10:30:00", "32G", "v1.2.3.x"}},
		{"special ips kept", "0.0.0.0 127.0.0.1 255.255.255.0 ::1", nil, []string{"0.0.0.0", "127.0.0.1", "255.255.255.0", "::1"}},
		{"ipv6", "addr 2a01:4f8::1234:5678 and [fd00::abcd:1]:22", []string{"2a01:4f8", "fd00::abcd:1"}, []string{"]:22"}},
		{"mac", "hwaddr 52:54:00:12:34:56 and 52-54-00-12-34-57", []string{"52:54:00:12:34:56", "52-54-00-12-34-57"}, []string{"02:a0:", "02-a0-"}},
		{"fqdn", "ping nas.local and mail.acme.com and x.corp", []string{"nas", "acme", "mail"}, []string{".local", ".com"}},
		{"files are not domains", "main.tf cloud-init.service config.yaml", nil, []string{"main.tf", "cloud-init.service", "config.yaml"}},
		{"public domains kept", "https://download.proxmox.com/debian and github.com", nil, []string{"download.proxmox.com", "github.com"}},
		{"user realm", "by ops@pve and root@pam and bob@corp-ad", []string{"ops@", "bob", "corp-ad"}, []string{"root@pam", "@pve"}},
		{"email", "mail jane.doe@acme.com", []string{"jane.doe", "acme"}, []string{".com"}},
		{"kv password", `password=hunter22 secret: "a b c" x_token='t0k3n!' passwd = s3cr3t`, []string{"hunter22", "a b c", "t0k3n!", "s3cr3t"}, []string{"[REDACTED:password]", "[REDACTED:secret]", "[REDACTED:token]"}},
		{"password echoed", "password=correct-horse-battery then later correct-horse-battery again", []string{"correct-horse-battery"}, []string{"then later"}},
		{"api token", "PVEAPIToken=root@pam!mon=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", []string{"aaaaaaaa-bbbb"}, []string{"PVEAPIToken="}},
		{"bare api token", "use root@pam!mon=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee now", []string{"aaaaaaaa-bbbb"}, []string{"root@pam!mon=", " now"}},
		{"ticket", "cookie PVE:root@pam:4EEC61E2::rsKoApxDTLYPn6H3NNT6iP2mv/IsCnrOA== ok", []string{"rsKoApxD", "4EEC61E2"}, []string{"[REDACTED:ticket] ok"}},
		{"csrf", "CSRF 4EEC61E2:lwk7od06fa1+DcPUwBTXCcndyAY done", []string{"lwk7od06fa1"}, []string{" done"}},
		{"url creds", "git clone https://bob:pa55w0rd@git.acme.com/x.git", []string{"bob", "pa55w0rd", "acme"}, []string{"https://[REDACTED:url-credentials]@"}},
		{"bearer", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", []string{"eyJhbG"}, []string{"Authorization: "}},
		{"yaml password line", "  password: two words here\n  user: x", []string{"two words here"}, []string{"\n  user: "}},
		{"known host in path", "/etc/pve/nodes/pve1/qemu-server/100.conf", []string{"pve1"}, []string{"/etc/pve/nodes/", "100.conf"}},
		{"known host in words", "web-01-backup and WEB-01 and web_01_disk", []string{"web-01", "WEB-01", "web_01"}, []string{"-backup", "_disk"}},
		{"generic names kept", "storage local-lvm on local, node pve", nil, []string{"local-lvm", "on local", "node pve"}},
		{"uuid", "vmgenid=ddfb79b2-b484-4d66-88e7-6e76f2d1be77", []string{"ddfb79b2"}, []string{"vmgenid=[REDACTED:uuid]"}},
		{"ssh urlencoded", "sshkeys=ssh-rsa%20AAAAB3NzaC1yc2EAAAADAQABAAABAQC0123456789abcdefghijklmnopqrstuv%2Bw%3D%3D%20me%40box%0A",
			[]string{"AAAAB3", "me%40box"}, []string{"ssh-rsa"}},
		{"private key", "k=-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- tail",
			[]string{"MIIEow", "IBAAK"}, []string{"[REDACTED:sshkey] tail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Rules{})
			out := e.Text(tt.in)
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q still in %q", g, out)
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("%q missing from %q", k, out)
				}
			}
			if again := e.Text(out); again != out {
				t.Errorf("not idempotent:\n%q\n%q", out, again)
			}
		})
	}
}

func TestRelationships(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	out := strings.Fields(e.Text("10.1.2.3 10.1.2.4 10.1.3.3 2a01:4f8:1:2::10 2a01:4f8:1:2::11 web-01 web-01.lab.acme.internal pve1.lab.acme.internal web-01 jane@acme.com"))
	sub := func(s string) string { return s[:strings.LastIndexByte(s, '.')] }
	if sub(out[0]) != sub(out[1]) || sub(out[0]) == sub(out[2]) || out[0] == out[1] {
		t.Errorf("IPv4 subnets not kept: %v", out[:3])
	}
	if !strings.HasPrefix(out[4], "2001:db8:") || out[3][:strings.LastIndex(out[3], ":")] != out[4][:strings.LastIndex(out[4], ":")] {
		t.Errorf("IPv6 /64 not shared: %v", out[3:5])
	}
	host := out[5]
	if !strings.HasPrefix(out[6], host+".") || out[8] != host {
		t.Errorf("host and FQDN do not map together: %v", out[5:9])
	}
	if out[6][strings.IndexByte(out[6], '.'):] != out[7][strings.IndexByte(out[7], '.'):] {
		t.Errorf("one domain, two pseudonyms: %v", out[6:8])
	}
	// the same key gives the same pseudonyms in another run; another key does not
	e2 := newTestEngine(t, Rules{})
	if got := e2.Text("web-01 10.1.2.3"); got != host+" "+out[0] {
		t.Errorf("second run: %q, want %q", got, host+" "+out[0])
	}
	k := testKey()
	k[0] ^= 1
	e3, _ := New(k, Rules{}, corpusKnown)
	if got := e3.Text("web-01"); got == host {
		t.Errorf("another key gave the same pseudonym %q", got)
	}
}

func TestReverse(t *testing.T) {
	t.Parallel()
	tests := []string{
		"node pve1 at 10.20.30.1 and 10.20.30.15, mac BC:24:11:00:00:01, user ops@pve, mail jane@acme.com",
		"fqdn web-01.lab.acme.internal:8006 and web_01 and web-01-backup",
		"v6 2a01:4f8:1:2::1234:5 and fe80::be24:11ff:fe00:1%vmbr0",
	}
	for _, in := range tests {
		e := newTestEngine(t, Rules{})
		out := e.Text(in)
		if out == in {
			t.Fatalf("nothing anonymized in %q", in)
		}
		if back := Reverse(out, e.Mapping()); back != in {
			t.Errorf("Reverse:\n got %q\nwant %q\n out %q", back, in, out)
		}
	}
	// an answer that mentions the pseudonyms in new text; a longer number is not a pseudonym
	e := newTestEngine(t, Rules{})
	p := e.Text("10.0.0.1")
	ans := "Restart " + p + " (not " + p + "5) on " + e.Text("pve1") + "."
	want := "Restart 10.0.0.1 (not " + p + "5) on pve1."
	if got := Reverse(ans, e.Mapping()); got != want {
		t.Errorf("Reverse(answer) = %q, want %q", got, want)
	}
	for pseudo, real := range e.Mapping() {
		if strings.Contains(pseudo, "REDACTED") || strings.Contains(real, "REDACTED") {
			t.Errorf("marker in mapping: %q -> %q", pseudo, real)
		}
	}
}

func TestSecretsNotInMapping(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	e.Text("password=hunter2222 PVEAPIToken=root@pam!x=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee https://u:p4ssw0rd@h.acme.com")
	for p, r := range e.Mapping() {
		if strings.Contains(r, "hunter") || strings.Contains(r, "aaaaaaaa") || strings.Contains(r, "p4ss") {
			t.Errorf("secret %q in the mapping as %q", r, p)
		}
	}
}

func TestJSONStructure(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	in := `{"password": 12345678, "token": {"id": "x", "value": "abc"}, "list": ["10.0.0.1", true, null],` +
		` "hosts": {"app-server": {"user": "alice"}}, "node": "pve9", "note": "a \"quoted\" pve1 \u00e9", "secrets": ["s1", "s2"]}`
	out, err := e.JSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, g := range []string{"12345678", `"abc"`, `"x"`, "10.0.0.1", "app-server", "alice", "pve9", "pve1", `"s1"`} {
		if strings.Contains(s, g) {
			t.Errorf("%s still in %s", g, s)
		}
	}
	for _, k := range []string{`"password": "[REDACTED:password]"`, `"id": "[REDACTED:token]"`, "true, null", `\"quoted\"`, "é"} {
		if !strings.Contains(s, k) {
			t.Errorf("%s missing from %s", k, s)
		}
	}
	if _, err := e.JSON([]byte(`{"a":`)); err == nil {
		t.Error("invalid JSON accepted")
	}
}

func TestYAMLStructure(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	in := "# admin 10.0.0.9\nserver: pve1 # node at 10.0.0.1\ncredentials:\n  user: bob\n  pass: [a, b]\nlist:\n  - web-01\n  - 42\n---\nsecond: doc\n"
	out, err := e.YAML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, g := range []string{"10.0.0.9", "10.0.0.1", "pve1", "bob", "web-01"} {
		if strings.Contains(s, g) {
			t.Errorf("%s still in %s", g, s)
		}
	}
	for _, k := range []string{"# admin", "# node at", "- 42", "second: doc", "pass:", `"[REDACTED:secret]"`} {
		if !strings.Contains(s, k) {
			t.Errorf("%s missing from %s", k, s)
		}
	}
	again, err := e.YAML(out)
	if err != nil || string(again) != s {
		t.Errorf("not idempotent (%v):\n%s\n%s", err, s, again)
	}
	if _, err := e.YAML([]byte("a: [")); err == nil {
		t.Error("invalid YAML accepted")
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	long := strings.Repeat("word 10.0.0.7 ", maxLine/10) // one line longer than maxLine
	in := "a 10.0.0.1\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeybody\n-----END EC PRIVATE KEY-----\nb pve1\n" + long + "\nno newline at end"
	var out bytes.Buffer
	if err := e.Stream(&out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, g := range []string{"10.0.0.1", "MHcCAQEEIKeybody", "pve1", "10.0.0.7"} {
		if strings.Contains(s, g) {
			t.Errorf("%s still in the stream output", g)
		}
	}
	if !strings.HasSuffix(s, "no newline at end") || !strings.Contains(s, "[REDACTED:sshkey]") {
		t.Errorf("stream output tail %q", s[len(s)-40:])
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Rules{})
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				outs[i] = e.Text(fmt.Sprintf("10.0.%d.%d pve1 password=abcdefgh%d", j, i, j))
			}
			_ = e.Counts()
			_ = e.Mapping()
		}()
	}
	wg.Wait()
	if c := e.Counts(); c[TypeIPv4] != 400 || c[TypePassword] != 400 || c[TypeHost] != 400 {
		t.Errorf("counts = %v", c)
	}
}
