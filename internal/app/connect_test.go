package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveConnection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("tok-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgHome := filepath.Join(dir, "cfg")
	if err := os.MkdirAll(filepath.Join(cfgHome, "proxmox-mpc"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := "current-context: home\ncontexts:\n" +
		"  - name: home\n    endpoint: https://home:8006\n    fingerprint: " + strings.Repeat("AB:", 31) + "AB\n    token-id: root@pam!home\n    secret-file: " + secret + "\n" +
		"  - name: lab\n    endpoint: https://lab:8006\n    username: admin@pve\n    secret-file: " + secret + "\n"
	if err := os.WriteFile(filepath.Join(cfgHome, "proxmox-mpc", "config.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	tests := []struct {
		name      string
		g         globalOptions
		env       map[string]string
		endpoint  string
		token     string
		user      string
		insecure  bool
		errSubstr string
	}{
		{name: "env token", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c"}, endpoint: "https://e:8006", token: "a@pam!b=c"},
		{name: "env password", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_USERNAME": "root@pam", "PROXMOX_VE_PASSWORD": "pw"}, endpoint: "https://e:8006", user: "root@pam"},
		{name: "env insecure", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c", "PROXMOX_VE_INSECURE": "true"}, endpoint: "https://e:8006", token: "a@pam!b=c", insecure: true},
		{name: "bad insecure", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c", "PROXMOX_VE_INSECURE": "maybe"}, errSubstr: "PROXMOX_VE_INSECURE"},
		{name: "flag endpoint wins over env", g: globalOptions{Endpoint: "https://f:8006"}, env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c"}, endpoint: "https://f:8006", token: "a@pam!b=c"},
		{name: "current context", env: map[string]string{"XDG_CONFIG_HOME": cfgHome}, endpoint: "https://home:8006", token: "root@pam!home=tok-secret"},
		{name: "env beats current context", env: map[string]string{"XDG_CONFIG_HOME": cfgHome, "PROXMOX_VE_ENDPOINT": "https://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c"}, endpoint: "https://e:8006", token: "a@pam!b=c"},
		{name: "explicit context beats env endpoint", g: globalOptions{Context: "lab"}, env: map[string]string{"XDG_CONFIG_HOME": cfgHome, "PROXMOX_VE_ENDPOINT": "https://e:8006"}, endpoint: "https://lab:8006", user: "admin@pve"},
		{name: "unknown context", g: globalOptions{Context: "nope"}, env: map[string]string{"XDG_CONFIG_HOME": cfgHome}, errSubstr: "nope"},
		{name: "token id and secret file", g: globalOptions{Endpoint: "https://f:8006", TokenID: "x@pve!t", SecretFile: secret}, env: map[string]string{"XDG_CONFIG_HOME": empty}, endpoint: "https://f:8006", token: "x@pve!t=tok-secret"},
		{name: "secret file readable by others", g: globalOptions{Endpoint: "https://f:8006", TokenID: "x@pve!t", SecretFile: open}, env: map[string]string{"XDG_CONFIG_HOME": empty}, errSubstr: "600"},
		{name: "token id without secret", g: globalOptions{Endpoint: "https://f:8006", TokenID: "x@pve!t"}, env: map[string]string{"XDG_CONFIG_HOME": empty}, errSubstr: "--secret-file"},
		{name: "no endpoint", env: map[string]string{"XDG_CONFIG_HOME": empty}, errSubstr: "no Proxmox VE endpoint"},
		{name: "no credentials", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "https://e:8006"}, errSubstr: "no credentials"},
		{name: "http endpoint", env: map[string]string{"XDG_CONFIG_HOME": empty, "PROXMOX_VE_ENDPOINT": "http://e:8006", "PROXMOX_VE_API_TOKEN": "a@pam!b=c"}, errSubstr: "not https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := tt.g
			cs, err := resolveConnection(&g, func(k string) string { return tt.env[k] })
			if tt.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
					var hinter interface{ Hint() string }
					hint := ""
					if errors.As(err, &hinter) {
						hint = hinter.Hint()
					}
					if err == nil || !strings.Contains(err.Error()+hint, tt.errSubstr) {
						t.Fatalf("err = %v (hint %q), want it to mention %q", err, hint, tt.errSubstr)
					}
				}
				if strings.Contains(err.Error(), "tok-secret") {
					t.Errorf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := cs.Config
			if c.Endpoint != tt.endpoint || c.APIToken != tt.token || c.Username != tt.user || c.Insecure != tt.insecure {
				t.Errorf("got endpoint=%q token=%q user=%q insecure=%v; want %q %q %q %v", c.Endpoint, c.APIToken, c.Username, c.Insecure, tt.endpoint, tt.token, tt.user, tt.insecure)
			}
		})
	}
}
