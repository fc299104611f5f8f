#!/usr/bin/env bash
# Puts the pinned Pulumi engine into .venv/bin: the CLI, the Python language host, its executor
# script and the dynamic-provider script. Builds them from Pulumi's Go modules when no cached or
# installed engine will do. The versions live in engine/cli/go.mod and engine/langhost/go.mod.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$root/.venv/bin"

say() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

# The version a go.mod requires of a module ("v3.260.0").
required_version() { awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }

cli_version=$(required_version "$root/engine/cli/go.mod" github.com/pulumi/pulumi/pkg/v3)
host_version=$(required_version "$root/engine/langhost/go.mod" github.com/pulumi/pulumi/sdk/v3)
[ -n "$cli_version" ] && [ -n "$host_version" ] || die "cannot read the pinned versions from engine/*/go.mod"

sdk_pin=$(sed -n 's/^pulumi==//p' "$root/requirements.txt")
[ "v$sdk_pin" = "$cli_version" ] ||
    die "requirements.txt pins pulumi==$sdk_pin but engine/cli/go.mod builds the CLI $cli_version; make them equal"

cache_root=${CAIGUNN_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caigunn-pulumi-engine}
cache="$cache_root/pulumi-$cli_version-python-host-$host_version"
engine_files="pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python"

is_complete() {
    local dir=$1 f
    for f in $engine_files; do [ -x "$dir/$f" ] || return 1; done
}

# "3.260.0" from "v3.260.0"; then a numeric comparison of two such versions.
version_of() { "$1" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n 1; }
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# An engine already installed: a pulumi on PATH (not ours), at least the pinned version, with the
# Python language host and both scripts beside it, as Pulumi's own distribution ships them.
installed_engine_dir() {
    local p dir v
    p=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$venv_bin" | paste -sd: -) command -v pulumi) || return 1
    dir=$(dirname "$(readlink -f "$p")")
    v=$(version_of "$p")
    [ -n "$v" ] && at_least "$v" "${cli_version#v}" && is_complete "$dir" || return 1
    printf '%s\n' "$dir"
}

build_engine() {
    command -v go >/dev/null 2>&1 || die "no usable Pulumi engine and no Go toolchain to build one.
  Either install Pulumi $cli_version or newer (see https://www.pulumi.com/docs/install/) so that
  'pulumi', 'pulumi-language-python', 'pulumi-language-python-exec' and
  'pulumi-resource-pulumi-python' are on PATH, or install Go 1.26 or newer, then run make again."
    say "building the Pulumi engine $cli_version from Go modules into $cache"
    say "a cold build downloads ~1.7 GB of Go modules and compiles for about 4 minutes on 2 cores; later set-ups reuse it"
    local tmp ldflag_cli ldflag_host sdk_dir
    mkdir -p "$cache_root"
    tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    ldflag_cli="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
    ldflag_host="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version"
    # -mod=readonly: the committed go.sum is the pin; a mismatch is an error, not a silent update.
    say "building the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$cli_version)"
    (cd "$root/engine/cli" && CGO_ENABLED=0 go build -mod=readonly -trimpath \
        -ldflags "-s -w $ldflag_cli" -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    say "building the Python language host (github.com/pulumi/pulumi/sdk/v3@$host_version)"
    (cd "$root/engine/langhost" && CGO_ENABLED=0 go build -mod=readonly -trimpath \
        -ldflags "-s -w $ldflag_host" -o "$tmp/pulumi-language-python" \
        github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
    # The two scripts are plain files of the SDK module at the CLI's release.
    sdk_dir=$(cd "$root/engine/cli" && go list -mod=readonly -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
    install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$tmp/"
    install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$tmp/"
    "$tmp/pulumi" version >/dev/null || die "the freshly built pulumi does not run"
    rm -rf "$cache"
    mkdir -p "$(dirname "$cache")"
    mv "$tmp" "$cache"
    trap - EXIT
}

if is_complete "$cache"; then
    say "using the cached engine in $cache"
    engine_dir=$cache
elif engine_dir=$(installed_engine_dir); then
    say "using the installed engine in $engine_dir ($(version_of "$engine_dir/pulumi"))"
else
    build_engine
    engine_dir=$cache
fi

[ -d "$venv_bin" ] || die "$venv_bin is missing: create the virtualenv first (make setup)"
for f in pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
    ln -sfn "$engine_dir/$f" "$venv_bin/$f"
done
# pulumi is a wrapper, not a link: the language host runs the first python on PATH (see
# engine/README.md), so this virtualenv goes first even when it is not activated.
rm -f "$venv_bin/pulumi"
cat >"$venv_bin/pulumi" <<EOF
#!/bin/sh
# Runs the pinned Pulumi engine with this virtualenv first on PATH (written by scripts/setup-engine.sh).
here=\$(CDPATH= cd -- "\$(dirname -- "\$0")" && pwd)
PATH="\$here:\$PATH" exec "$engine_dir/pulumi" "\$@"
EOF
chmod 0755 "$venv_bin/pulumi"
say "ready: $("$venv_bin/pulumi" version) (Python language host $host_version)"
