package userconfig

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzKeys are keys a fuzzed secret is placed under: secret-looking keys
// (must be rejected) and fields whose errors must never echo their value.
var fuzzKeys = []string{"token", "api-token", "api_token", "password", "secret", "PROXMOX_VE_API_TOKEN", "token-id", "endpoint", "fingerprint", "username", "insecure", "default-node: x\n    ticket"}

// FuzzParse checks that Parse never panics, that whatever it accepts
// survives Marshal+Parse unchanged, and that a secret placed in the file
// never appears in an error message.
func FuzzParse(f *testing.F) {
	f.Add([]byte("current-context: home\ncontexts:\n  - name: home\n    endpoint: https://pve1:8006\n    token-id: ci@pve!deploy\n"), uint8(0), "hunter2")
	f.Add([]byte(""), uint8(6), "root@pam!ci=0b5c1d2e")
	f.Add([]byte("contexts: [{name: a, endpoint: 'https://a:8006'}]"), uint8(7), "https://root:pw@pve:8006")
	f.Add([]byte("- a\n- *b\n"), uint8(10), "yes")
	f.Fuzz(func(t *testing.T, doc []byte, keyIdx uint8, value string) {
		cfg, err := Parse(doc)
		if err == nil {
			out, merr := Marshal(cfg)
			if merr != nil {
				t.Fatalf("accepted config does not marshal: %v\ninput: %q", merr, doc)
			}
			back, perr := Parse(out)
			if perr != nil {
				t.Fatalf("marshalled config does not parse: %v\n%s", perr, out)
			}
			if diff := cmp.Diff(cfg, back); diff != "" {
				t.Fatalf("round trip changed the config (-first +second):\n%s", diff)
			}
		}

		canary := "Zq9" + value + "Qz7"
		key := fuzzKeys[int(keyIdx)%len(fuzzKeys)]
		line := key + ": " + strconv.Quote(canary) + "\n"

		// The secret inside a well-formed context.
		inCtx := "contexts:\n  - name: a\n    endpoint: https://a:8006\n    " + line
		_, err = Parse([]byte(inCtx))
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Fatalf("error echoes the value: %v", err)
		}
		if LooksSecret(strings.TrimSpace(key[strings.LastIndex(key, "\n")+1:])) {
			if err == nil || !strings.HasSuffix(err.Error(), SecretMsg) {
				t.Fatalf("secret key %q accepted or misreported: %v", key, err)
			}
		}

		// The secret appended to arbitrary input.
		if !bytes.Contains(doc, []byte("Zq9")) {
			appended := append(append(bytes.Clone(doc), '\n'), line...)
			if _, err := Parse(appended); err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("error echoes the value: %v\ninput: %q", err, appended)
			}
		}
	})
}
