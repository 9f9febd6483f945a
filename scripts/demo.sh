#!/usr/bin/env bash
# Runs proxmox-mpc against the built-in simulated homelab (no server needed).
set -euo pipefail
bin=${1:-bin/proxmox-mpc}
run() { printf '\n$ proxmox-mpc %s\n' "$*"; "$bin" --demo "$@"; }
"$bin" version
run test-connection
run get nodes
run get vms
run get containers
run describe vm web-01
printf '\nEverything above ran against an in-process simulator. Try `%s --demo get vms -o json`,\n' "$bin"
printf 'or serve it over HTTPS with `%s sim` and point PROXMOX_VE_ENDPOINT at it.\n' "$bin"
