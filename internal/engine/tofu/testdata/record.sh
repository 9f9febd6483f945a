#!/usr/bin/env bash
# record.sh — re-record the real `-json` UI streams in ui/ from the
# configurations in config/, with the real OpenTofu binary. No provider is
# downloaded and nothing leaves the machine: the CLI configuration allows
# only an empty filesystem mirror.
#
#   internal/engine/tofu/testdata/record.sh [TOFU]     (default: tofu on PATH)
#
# Then `go test ./internal/engine/tofu -update` refreshes the golden files.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tofu=${1:-tofu}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/mirror"
cat >"$work/cli.tfrc" <<EOT
provider_installation {
  filesystem_mirror {
    path = "$work/mirror"
  }
}
EOT
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
out=$here/ui

# run NAME EXPECTED_RC CMD ARGS...: tofu CMD -json ARGS > ui/NAME.jsonl
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$tofu" "$1" -json "${@:2}" >"$out/$name.jsonl" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "record: tofu $* exited $rc, want $want" >&2
		exit 1
	fi
}

# ok: create, no changes, update (create/update/replace/delete), destroy.
mkdir "$work/ok" && cp "$here/config/ok/main.tf" "$work/ok/" && cd "$work/ok"
run init 0 init -input=false
run plan 2 plan -input=false -detailed-exitcode -out=create.tfplan
run apply 0 apply -input=false create.tfplan
run plan-nochange 0 plan -input=false -detailed-exitcode
cp "$here/config/update/main.tf" main.tf
run plan-update 2 plan -input=false -detailed-exitcode -out=update.tfplan
run apply-update 0 apply -input=false update.tfplan
run destroy 0 destroy -input=false -auto-approve

# plan-error: a precondition fails while planning.
mkdir "$work/pe" && cp "$here/config/plan-error/main.tf" "$work/pe/" && cd "$work/pe"
"$tofu" init -input=false >/dev/null
run plan-error 1 plan -input=false -detailed-exitcode

# apply-error: a postcondition and a provisioner fail while applying a saved plan.
mkdir "$work/ae" && cp "$here/config/apply-error/main.tf" "$work/ae/" && cd "$work/ae"
"$tofu" init -input=false >/dev/null
"$tofu" plan -input=false -out=ae.tfplan >/dev/null
run apply-error 1 apply -input=false ae.tfplan

# provider: bpg/proxmox is in no mirror.
mkdir "$work/pm" && cp "$here/config/provider/main.tf" "$work/pm/" && cd "$work/pm"
run init-provider-missing 1 init -input=false

# The mirror's temporary path is in a detail: make the recordings stable.
sed -i "s|$work|/tmp/record|g" "$out"/*.jsonl
"$tofu" version >"$out/VERSION"
