package pvesim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func FuzzParseUPID(f *testing.F) {
	f.Add("UPID:pve1:0001A2B3:00C0FFEE:6920A000:qmstart:101:root@pam!sim:")
	f.Add("UPID:pve1:0001A2B3:00C0FFEE:6920A000:srvreload::root@pam:")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseUPID(s)
		if !ok {
			return
		}
		if p.node == "" || strings.Count(s, ":") != 8 {
			t.Fatalf("accepted malformed UPID %q", s)
		}
		if p.pid < 0 || p.pstart < 0 || p.start < 0 {
			t.Fatalf("negative fields from %q: %+v", s, p)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"32G", "512M", "1T", "100K", "10737418240", "1.5G", "", "G", "-1G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d, negative", s, n)
		}
		back, err := parseSize(formatSize(n))
		if err != nil || back != n {
			t.Fatalf("formatSize round trip of %d (%q): %d, %v", n, formatSize(n), back, err)
		}
	})
}

func FuzzSplitToken(f *testing.F) {
	f.Add(DefaultToken)
	f.Add("root@pam!x=")
	f.Add("=secret")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := splitToken(s)
		if !ok {
			return
		}
		if id+"="+secret != s || secret == "" || !strings.Contains(id, "!") {
			t.Fatalf("splitToken(%q) = %q, %q", s, id, secret)
		}
	})
}

// FuzzServeHTTP sends arbitrary requests: the simulator must answer every
// one with a known status and a JSON body (or the empty 401 body), never panic.
func FuzzServeHTTP(f *testing.F) {
	f.Add("GET", "/api2/json/cluster/resources?type=vm", "", "")
	f.Add("PUT", "/api2/json/nodes/pve1/qemu/101/config", "application/x-www-form-urlencoded", "net1=virtio,bridge=vmbr0&scsi1=local-lvm:4&delete=tags")
	f.Add("POST", "/api2/json/nodes/pve1/qemu", "application/json", `{"vmid":150,"scsi0":"local-lvm:8","start":true}`)
	f.Add("PUT", "/api2/json/nodes/pve1/lxc/200/resize", "", "disk=rootfs&size=+1G")
	f.Add("POST", "/api2/json/nodes/pve1/qemu/9000/clone", "", "newid=160&full=0")
	s, err := New(Options{TaskDuration: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, ctype, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "https://x"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "PVEAPIToken="+DefaultToken)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := &recorder{header: http.Header{}}
		s.ServeHTTP(rec, req)
		switch rec.code {
		case 200, 400, 401, 403, 413, 500, 501, 506:
		default:
			t.Fatalf("%s %s: status %d", method, target, rec.code)
		}
		if rec.code == 401 && rec.body.Len() == 0 {
			return
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal(rec.body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: body not JSON: %v: %q", method, target, err, rec.body.String())
		}
		if _, ok := v["data"]; !ok {
			t.Fatalf("%s %s: no data member: %s", method, target, rec.body.Bytes())
		}
		if rec.code != 200 && bytes.ContainsAny([]byte(rec.reason), "\r\n") {
			t.Fatalf("reason phrase with a line break: %q", rec.reason)
		}
	})
}
