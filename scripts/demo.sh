#!/usr/bin/env bash
# Runs proxmox-mpc against the built-in simulated homelab (no server needed):
# a short tour, then the interactive console when there is a terminal.
set -euo pipefail
bin=${1:-bin/proxmox-mpc}
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
if [ -t 0 ] && [ -t 1 ]; then
	printf '\nStarting the console on the demo cluster (its state lives in %s until you leave).\n' "$state"
	printf 'Try: /sync, get vms, stop vm web-01, snapshot create vm db-01 before-upgrade, journal, /status, /exit\n\n'
	"$bin" --demo || true
else
	printf '\nEverything above ran against an in-process simulator. Run `%s --demo` for the console,\n' "$bin"
	printf 'or serve it over HTTPS with `%s sim` and point PROXMOX_VE_ENDPOINT at it.\n' "$bin"
fi
