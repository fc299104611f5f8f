#!/usr/bin/env bash
# make demo: a real `pulumi up` of the dev stack (stacks/dev.yaml) against the local CaiGunn
# emulator, with state in a local folder. The emulator is stopped on every way out.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo_dir="$root/.demo"
mkdir -p "$demo_dir" "$root/.pulumi-state"

export PATH="$root/.venv/bin:$PATH"
export PULUMI_BACKEND_URL="file://$root/.pulumi-state"
# The demo passphrase (README): it only guards the demo's local state.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-caigunn-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

token=demo-token
log="$demo_dir/emulator.out"
# Created here, not by the background job's redirect, which may not have run when we first read it.
: >"$log"
python -m caigunn_provider emulator --port 0 --token "$token" --db "$demo_dir/emulator.sqlite" \
    >"$log" 2>&1 &
emulator_pid=$!
stop_emulator() {
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
}
trap stop_emulator EXIT
trap 'exit 130' INT TERM

url=""
for _ in $(seq 1 200); do
    url=$(sed -n 's/^CaiGunn emulator listening on //p' "$log")
    [ -n "$url" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$log" >&2; echo "demo: the emulator did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; echo "demo: the emulator did not start within 20 s" >&2; exit 1; }
echo "demo: CaiGunn emulator at $url (data in .demo/emulator.sqlite)"

export CAIGUNN_API_URL="$url" CAIGUNN_ACCESS_TOKEN="$token"
pulumi stack select --create dev >/dev/null
pulumi up --yes --stack dev
echo
pulumi stack output --stack dev
