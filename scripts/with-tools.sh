#!/usr/bin/env bash
# with-tools.sh CMD... — run CMD with the external tools the tests use for
# real on PATH, and PMC_REQUIRE_TOOLS=1 exported so that a test which finds
# one of them missing fails instead of skipping (CI and `make unit`).
#
#   ansible-inventory, ansible-playbook  Debian's `ansible` package, installed
#                                        with apt-get when missing (sudo when
#                                        not root).
#   tofu                                 OpenTofu $TOFU_VERSION, built once from
#                                        its Go module (`go install` refuses it:
#                                        its go.mod has replace directives) and
#                                        kept in the cache outside the
#                                        repository:
#                                        ${XDG_CACHE_HOME:-$HOME/.cache}/proxmox-mpc/tools
set -euo pipefail

TOFU_VERSION=1.12.6

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARG...]" >&2
	exit 2
fi

log() { echo "with-tools: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# as_root runs a command as root: directly, or through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*' (not root, and no sudo); install the package by hand"
	fi
}

# --- Ansible -------------------------------------------------------------
if ! command -v ansible-inventory >/dev/null 2>&1 || ! command -v ansible-playbook >/dev/null 2>&1; then
	log "installing Ansible from the distribution (apt-get install ansible)"
	command -v apt-get >/dev/null 2>&1 || die "ansible-inventory/ansible-playbook not found and no apt-get: install Ansible by hand"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
		die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible >&2 ||
		die "apt-get install ansible failed"
	command -v ansible-inventory >/dev/null 2>&1 && command -v ansible-playbook >/dev/null 2>&1 ||
		die "ansible-inventory/ansible-playbook still not found after installing ansible"
fi

# --- OpenTofu ------------------------------------------------------------
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/proxmox-mpc/tools"
TOFU="$CACHE/tofu-$TOFU_VERSION"
BINDIR="$CACHE/bin"
mkdir -p "$BINDIR"

if [ ! -x "$TOFU" ]; then
	command -v go >/dev/null 2>&1 || die "tofu $TOFU_VERSION is not in $CACHE and go is not on PATH to build it"
	log "building OpenTofu $TOFU_VERSION from its Go module into $CACHE (once; a few minutes)"
	# Outside any module and workspace, so this repository's go.mod plays no part.
	if ! json=$(cd "$CACHE" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION"); then
		die "go mod download github.com/opentofu/opentofu@v$TOFU_VERSION failed: $json"
	fi
	dir=$(printf '%s\n' "$json" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
	[ -n "$dir" ] && [ -d "$dir" ] || die "no module directory in the output of go mod download: $json"
	tmp="$TOFU.tmp.$$"
	trap 'rm -f "$tmp"' EXIT
	(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod go build -trimpath \
		-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$tmp" ./cmd/tofu) ||
		die "building OpenTofu $TOFU_VERSION failed"
	mv -f "$tmp" "$TOFU"
	trap - EXIT
fi

# The tofu on PATH is the cached binary: a relative symlink, swapped atomically.
if [ "$(readlink "$BINDIR/tofu" 2>/dev/null || true)" != "../tofu-$TOFU_VERSION" ]; then
	ln -sfn "../tofu-$TOFU_VERSION" "$BINDIR/tofu.tmp.$$"
	mv -Tf "$BINDIR/tofu.tmp.$$" "$BINDIR/tofu"
fi

# --- MCP Inspector (the official MCP client, for the MCP end-to-end test) --
INSPECTOR_VERSION=0.15.0
NPMDIR="$CACHE/npm-inspector-$INSPECTOR_VERSION"
if [ ! -x "$NPMDIR/node_modules/.bin/mcp-inspector" ]; then
	command -v npm >/dev/null 2>&1 || die "npm not found: it installs the MCP Inspector the tests use"
	log "installing @modelcontextprotocol/inspector@$INSPECTOR_VERSION with npm into $NPMDIR"
	mkdir -p "$NPMDIR"
	npm install --prefix "$NPMDIR" --no-audit --no-fund --silent "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2 ||
		die "npm install @modelcontextprotocol/inspector failed"
fi
ln -sfn "$NPMDIR/node_modules/.bin/mcp-inspector" "$BINDIR/mcp-inspector"

export PATH="$BINDIR:$PATH"
export PMC_REQUIRE_TOOLS=1

# --- Report what runs ----------------------------------------------------
first_line() { printf '%s\n' "$1" | sed -n '1p'; }
for tool in ansible-inventory ansible-playbook; do
	out=$("$tool" --version 2>/dev/null) || die "$tool --version failed"
	ver=$(first_line "$out" | sed -n 's/.*\[core \([^]]*\)\].*/\1/p')
	log "$tool ${ver:-$(first_line "$out")} ($(command -v "$tool"))"
done
out=$(tofu version 2>/dev/null) || die "tofu version failed ($TOFU)"
# (tofu prints warnings about the CLI configuration before its version)
ver=$(first_line "$(printf '%s\n' "$out" | sed -n 's/^OpenTofu \(v[^ ]*\).*/\1/p')")
[ -n "$ver" ] || die "tofu version did not print a version ($TOFU): $out"
log "tofu $ver ($TOFU)"
log "mcp-inspector @modelcontextprotocol/inspector@$INSPECTOR_VERSION ($BINDIR/mcp-inspector)"

exec "$@"
