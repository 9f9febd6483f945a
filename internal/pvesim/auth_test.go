package pvesim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func login(t *testing.T, s *Sim, user, pass string) (ticket, csrf string) {
	t.Helper()
	r := callWith(t, s, "POST", "/access/ticket", url.Values{"username": {user}, "password": {pass}}, nil)
	d := mustOK(t, r, "login").dataMap(t)
	ticket, _ = d["ticket"].(string)
	csrf, _ = d["CSRFPreventionToken"].(string)
	if d["username"] != user || ticket == "" || csrf == "" {
		t.Fatalf("login reply %s", r.raw)
	}
	return ticket, csrf
}

func TestAuth(t *testing.T) {
	t.Parallel()
	const ciToken = "ci@pve!deploy=11111111-2222-3333-4444-555555555555"
	const roToken = "audit@pve!ro=99999999-2222-3333-4444-555555555555"
	s, clk := newTestSim(t, Options{
		Tokens:   []string{ciToken, roToken},
		Users:    map[string]string{"root@pam": "hunter2"},
		Auditors: []string{"audit@pve"},
	})
	ticket, csrf := login(t, s, "root@pam", "hunter2")
	cookie := "PVEAuthCookie=" + url.PathEscape(ticket)
	start := url.Values{}

	tests := []struct {
		name       string
		method     string
		path       string
		headers    map[string]string
		wantStatus int
		wantReason string
	}{
		{"no credentials", "GET", "/nodes", nil, 401, "No ticket"},
		{"open endpoint", "GET", "/access/domains", nil, 200, "OK"},
		{"token", "GET", "/nodes", map[string]string{"Authorization": "PVEAPIToken=" + ciToken}, 200, "OK"},
		{"token with a space", "GET", "/nodes", map[string]string{"Authorization": "PVEAPIToken " + ciToken}, 200, "OK"},
		{"bad token secret", "GET", "/nodes", map[string]string{"Authorization": "PVEAPIToken=ci@pve!deploy=wrong"}, 401, "Authentication failed!"},
		{"unknown token", "GET", "/nodes", map[string]string{"Authorization": "PVEAPIToken=x@pve!y=z"}, 401, "Authentication failed!"},
		{"default token not accepted when tokens given", "GET", "/nodes", map[string]string{"Authorization": "PVEAPIToken=" + DefaultToken}, 401, "Authentication failed!"},
		{"token needs no csrf", "POST", "/nodes/pve1/qemu/109/status/start", map[string]string{"Authorization": "PVEAPIToken=" + ciToken}, 200, "OK"},
		{"ticket cookie GET", "GET", "/nodes", map[string]string{"Cookie": cookie}, 200, "OK"},
		{"ticket in Authorization", "GET", "/nodes", map[string]string{"Authorization": "PVEAuthCookie=" + ticket}, 200, "OK"},
		{"ticket POST without csrf", "POST", "/nodes/pve1/qemu/109/status/stop", map[string]string{"Cookie": cookie}, 401, "Permission denied - invalid csrf token"},
		{"ticket POST with bad csrf", "POST", "/nodes/pve1/qemu/109/status/stop", map[string]string{"Cookie": cookie, "CSRFPreventionToken": "00000000:abc"}, 401, "Permission denied - invalid csrf token"},
		{"ticket POST with csrf", "POST", "/nodes/pve1/qemu/109/status/stop", map[string]string{"Cookie": cookie, "CSRFPreventionToken": csrf}, 200, "OK"},
		{"forged ticket", "GET", "/nodes", map[string]string{"Cookie": "PVEAuthCookie=PVE:root@pam:6920A000::Zm9yZ2Vk"}, 401, "authentication failure"},
		{"auditor reads", "GET", "/nodes/pve1/qemu/101/config", map[string]string{"Authorization": "PVEAPIToken=" + roToken}, 200, "OK"},
		{"auditor cannot start", "POST", "/nodes/pve1/qemu/109/status/start", map[string]string{"Authorization": "PVEAPIToken=" + roToken}, 403, "Permission check failed (/vms/109, VM.PowerMgmt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := callWith(t, s, tt.method, tt.path, start, tt.headers)
			if r.status != tt.wantStatus || r.reason != tt.wantReason {
				t.Fatalf("%s %s = %d %q, want %d %q (body %s)", tt.method, tt.path, r.status, r.reason, tt.wantStatus, tt.wantReason, r.raw)
			}
		})
	}

	t.Run("bad password", func(t *testing.T) {
		r := callWith(t, s, "POST", "/access/ticket", url.Values{"username": {"root@pam"}, "password": {"nope"}}, nil)
		if r.status != http.StatusUnauthorized || r.reason != "authentication failure" {
			t.Fatalf("got %d %q", r.status, r.reason)
		}
	})
	t.Run("realm parameter", func(t *testing.T) {
		r := callWith(t, s, "POST", "/access/ticket", url.Values{"username": {"root"}, "realm": {"pam"}, "password": {"hunter2"}}, nil)
		mustOK(t, r, "login with realm")
	})
	t.Run("renewal and expiry", func(t *testing.T) {
		clk.Advance(90 * time.Minute)
		renewed, _ := login(t, s, "root@pam", ticket) // a valid ticket works as password
		clk.Advance(31 * time.Minute)                 // first ticket now 2h01m old
		if r := callWith(t, s, "GET", "/nodes", nil, map[string]string{"Cookie": cookie}); r.status != 401 {
			t.Fatalf("expired ticket: got %d, want 401", r.status)
		}
		r := callWith(t, s, "POST", "/access/ticket", url.Values{"username": {"root@pam"}, "password": {ticket}}, nil)
		if r.status != 401 {
			t.Fatalf("renewal with expired ticket: got %d, want 401", r.status)
		}
		mustOK(t, callWith(t, s, "GET", "/nodes", nil, map[string]string{"Cookie": "PVEAuthCookie=" + renewed}), "renewed ticket")
	})
	t.Run("permissions", func(t *testing.T) {
		r := mustOK(t, callWith(t, s, "GET", "/access/permissions", nil, map[string]string{"Authorization": "PVEAPIToken=" + ciToken}), "permissions")
		root, _ := r.dataMap(t)["/"].(map[string]any)
		if root["VM.Allocate"] == nil || root["Sys.Audit"] == nil {
			t.Fatalf("CI token lacks privileges: %s", r.raw)
		}
		r = mustOK(t, callWith(t, s, "GET", "/access/permissions", nil, map[string]string{"Authorization": "PVEAPIToken=" + roToken}), "permissions")
		root, _ = r.dataMap(t)["/"].(map[string]any)
		if root["VM.Allocate"] != nil || root["VM.Audit"] == nil {
			t.Fatalf("auditor privileges wrong: %s", r.raw)
		}
	})
}

func TestTaskUserIsTokenID(t *testing.T) {
	t.Parallel()
	s, clk := newTestSim(t, Options{})
	upid := runOK(t, s, clk, "POST", "/nodes/pve1/qemu/109/status/start", nil)
	p, _ := parseUPID(upid)
	if p.user != "root@pam!sim" {
		t.Fatalf("UPID user = %q, want the token id", p.user)
	}
	st := waitTask(t, s, clk, upid)
	if st["user"] != "root@pam" || st["tokenid"] != "sim" {
		t.Fatalf("task status user/tokenid = %v/%v", st["user"], st["tokenid"])
	}
}
