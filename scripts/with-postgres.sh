#!/usr/bin/env bash
# with-postgres.sh CMD... — run CMD with PMC_TEST_POSTGRES_URL pointing at a
# throwaway PostgreSQL server on 127.0.0.1, so the PostgreSQL state-store tests
# run for real (CI and `make unit`).
#
# If PMC_TEST_POSTGRES_URL is already set, CMD runs against that server as is.
# Otherwise the script finds initdb/pg_ctl (installing Debian's `postgresql`
# package when they are missing), creates a cluster in a temporary directory,
# starts it on a free loopback port with trust auth for local connections
# only, creates database pmc_test, runs CMD, then stops the server, removes
# the directory and exits with CMD's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARG...]" >&2
	exit 2
fi

if [ -n "${PMC_TEST_POSTGRES_URL:-}" ]; then
	exec "$@"
fi

log() { echo "with-postgres: $*" >&2; }

find_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"
		return 0
	fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v initdb)")"
		return 0
	fi
	return 1
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "PostgreSQL server binaries (initdb, pg_ctl) not found and not root; install the postgresql package"
		exit 1
	fi
	log "installing PostgreSQL from the distribution (apt-get install postgresql)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
	BINDIR=$(find_bindir || true)
	if [ -z "$BINDIR" ]; then
		log "initdb/pg_ctl still not found after installing postgresql"
		exit 1
	fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pmc-pg.XXXXXX")
DATA="$TMP/data"
PGLOG="$TMP/server.log"

# as_pg runs a command as the user the server runs as: postgres refuses root.
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		log "user postgres does not exist; install the postgresql package"
		exit 1
	fi
	chown postgres: "$TMP"
	if command -v runuser >/dev/null 2>&1; then
		as_pg() { (cd "$TMP" && runuser -u postgres -- "$@"); }
	else
		as_pg() { (cd "$TMP" && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"); }
	fi
else
	as_pg() { (cd "$TMP" && "$@"); }
fi
chmod 700 "$TMP"

STARTED=
cleanup() {
	if [ -n "$STARTED" ]; then
		as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$BINDIR/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
	--auth-local=trust --auth-host=trust --no-sync >"$TMP/initdb.log" 2>&1 || {
	log "initdb failed:"
	cat "$TMP/initdb.log" >&2
	exit 1
}

# port_busy reports whether something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

PORT=
for p in $(seq 55432 55481); do
	port_busy "$p" && continue
	if as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PGLOG" -w -t 60 start -o \
		"-c listen_addresses=127.0.0.1 -p $p -c unix_socket_directories=$TMP -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		>/dev/null 2>&1; then
		PORT=$p
		STARTED=1
		break
	fi
done
if [ -z "$PORT" ]; then
	log "could not start PostgreSQL on any port 55432-55481; server log:"
	cat "$PGLOG" >&2 || true
	exit 1
fi

PSQL="$BINDIR/psql"
[ -x "$PSQL" ] || PSQL=psql
"$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
	-c 'CREATE DATABASE pmc_test' >/dev/null
VERSION=$("$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d pmc_test -qAt -c 'SHOW server_version')

export PMC_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/pmc_test?sslmode=disable"
log "started PostgreSQL $VERSION ($BINDIR) on 127.0.0.1:$PORT, PMC_TEST_POSTGRES_URL=$PMC_TEST_POSTGRES_URL"

status=0
"$@" || status=$?
exit "$status"
