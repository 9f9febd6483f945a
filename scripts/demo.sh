#!/usr/bin/env bash
# Runs proxmox-mpc against the built-in simulated homelab (no server needed):
# a short tour, then the interactive console when there is a terminal.
set -euo pipefail
bin=${1:-bin/proxmox-mpc}
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" # the workspace part runs in another folder
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export PMC_STATE_URL="$state/state.db"
run() { printf '\n$ proxmox-mpc %s\n' "$*"; "$bin" --demo "$@"; }
"$bin" version
run test-connection
run get nodes
run get vms
run get containers
run describe vm web-01

# The cluster as code: serve the simulator over HTTPS, make a workspace,
# sync it into Terraform and Ansible, change it in code and plan.
ws="$state/homelab"
mkdir -p "$ws"
"$bin" sim --listen 127.0.0.1:0 --token 'root@pam!demo=demo-secret' >"$state/sim.out" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 50); do grep -q 'fingerprint' "$state/sim.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*listening on \(https:[^ ]*\).*/\1/p' "$state/sim.out")
fp=$(sed -n 's/.*fingerprint: \([0-9A-F:]*\).*/\1/p' "$state/sim.out")
unset PMC_STATE_URL
export PROXMOX_VE_API_TOKEN='root@pam!demo=demo-secret'
ws_run() { printf '\n$ proxmox-mpc %s\n' "$*"; (cd "$ws" && "$bin" "$@"); }
ws_run init --endpoint "$endpoint" --fingerprint "$fp" --yes
ws_run sync
printf '\n$ ls terraform ansible\n'; (cd "$ws" && ls terraform ansible)
printf '\n$ cat terraform/web_01.tf\n'; cat "$ws/terraform/web_01.tf"
ws_run set vm web-01 --cores 4
ws_run plan --engine native
kill "$sim" 2>/dev/null || true
export PMC_STATE_URL="$state/state.db"

if [ -t 0 ] && [ -t 1 ]; then
	printf '\nStarting the console on the demo cluster (its state lives in %s until you leave).\n' "$state"
	printf 'Try: /sync, get vms, stop vm web-01, snapshot create vm db-01 before-upgrade, journal, /status, /exit\n\n'
	"$bin" --demo || true
else
	printf '\nThe tour ran against an in-process simulator, the code part against `sim` over HTTPS. Run `%s --demo` for the console,\n' "$bin"
	printf 'or serve it over HTTPS with `%s sim` and point PROXMOX_VE_ENDPOINT at it.\n' "$bin"
fi
