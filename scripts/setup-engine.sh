#!/usr/bin/env bash
# Puts a Pulumi engine into .venv/bin: the CLI, the Python language host, its executor script and
# the dynamic-provider script. Uses, in this order, a cached build of the pinned versions
# (engine/cli/go.mod, engine/langhost/go.mod), an installed Pulumi that is recent enough, or a fresh
# build from Pulumi's Go modules. It says what it does in a few lines; the Go tool's own output goes
# to a log file, which is named (and its end shown) when the build fails.
#
# Usage: scripts/setup-engine.sh [--postgres]
#   --postgres  an installed Pulumi must also have the PostgreSQL state backend (make test uses it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$root/.venv/bin"

# The oldest installed Pulumi this provider works with. v3.139.0 is the first engine that hands a
# dynamic provider's configure() the whole stack configuration; older ones hand it nothing, so
# `caigunn:accessToken` set with `pulumi config set --secret` would never reach the provider.
# Everything else the provider and the team recipe use is older (evidence in engine/README.md).
oldest_pulumi=3.139.0
# The PostgreSQL state backend (`pulumi login postgres://...`) came with v3.176.0.
oldest_postgres_pulumi=3.176.0
engine_files="pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python"
install_url="https://www.pulumi.com/docs/install/"

say() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

need_postgres=false
case "${1-}" in
    --postgres) need_postgres=true ;;
    "") ;;
    *) die "unknown argument '$1' (usage: scripts/setup-engine.sh [--postgres])" ;;
esac

# The version a go.mod requires of a module ("v3.260.0").
required_version() { awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }

cli_version=$(required_version "$root/engine/cli/go.mod" github.com/pulumi/pulumi/pkg/v3)
host_version=$(required_version "$root/engine/langhost/go.mod" github.com/pulumi/pulumi/sdk/v3)
[ -n "$cli_version" ] && [ -n "$host_version" ] || die "cannot read the pinned versions from engine/*/go.mod"

# The Python SDK of the lock is the one the pinned engine was released with; they move together.
sdk_pin=$(sed -n 's/^pulumi==\([^ ;]*\).*/\1/p' "$root/requirements.txt")
[ "v$sdk_pin" = "$cli_version" ] ||
    die "requirements.txt pins pulumi==$sdk_pin but engine/cli/go.mod builds the CLI $cli_version; make them equal"

cache_root=${CAIGUNN_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caigunn-pulumi-engine}
cache="$cache_root/pulumi-$cli_version-python-host-$host_version"
log="$cache_root/build-$cli_version.log"

is_complete() {
    local dir=$1 f
    for f in $engine_files; do [ -x "$dir/$f" ] || return 1; done
}

# "3.260.0" from "v3.260.0" (also from "v3.260.0-alpha.1+dirty"); then a numeric comparison.
version_of() { "$1" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1; }
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# An installed Pulumi: the first `pulumi` on PATH that is not ours, with the language host and both
# scripts beside it, as Pulumi's own distribution ships them. Sets installed_dir and
# installed_version when it will do; otherwise installed_refusal says why not (empty: none found).
installed_dir='' installed_version='' installed_refusal=''
find_installed() {
    local p dir v f missing=''
    p=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$venv_bin" | paste -sd: -) command -v pulumi) || return 0
    dir=$(dirname "$(readlink -f "$p")")
    v=$(version_of "$p")
    if [ -z "$v" ]; then
        installed_refusal="'$p version' printed no version"
    elif ! at_least "$v" "$oldest_pulumi"; then
        installed_refusal="the installed Pulumi v$v ($p) is older than v$oldest_pulumi, the first whose engine passes the stack's configuration (caigunn:accessToken, caigunn:apiUrl) to a dynamic provider's configure()"
    elif $need_postgres && ! at_least "$v" "$oldest_postgres_pulumi"; then
        installed_refusal="the installed Pulumi v$v ($p) has no PostgreSQL state backend, which came in v$oldest_postgres_pulumi and which make test's team tests use"
    else
        for f in $engine_files; do [ -x "$dir/$f" ] || missing="$missing $f"; done
        if [ -n "$missing" ]; then
            installed_refusal="the installed Pulumi v$v ($p) lacks${missing} beside it in $dir"
        else
            installed_dir=$dir installed_version=$v
        fi
    fi
}

# Runs "$@" with all its output in the build log; says what it did in one line, with the time.
step() {
    local what=$1 started=$SECONDS
    shift
    printf 'engine: %s ... ' "$what" >&2
    if "$@" >>"$log" 2>&1; then
        printf 'done (%d s)\n' $((SECONDS - started)) >&2
    else
        printf 'failed\n' >&2
        tail -n 15 "$log" | sed 's/^/engine: | /' >&2
        die "$what failed after $((SECONDS - started)) s; the Go tool's full output is in $log"
    fi
}

download_modules() {
    (cd "$root/engine/cli" && go mod download)
    (cd "$root/engine/langhost" && go mod download)
}

compile_cli() {
    (cd "$root/engine/cli" && CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
        -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    # The two scripts are plain files of the SDK module at the CLI's release.
    local sdk_dir
    sdk_dir=$(cd "$root/engine/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
    install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$tmp/"
    install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$tmp/"
    "$tmp/pulumi" version
}

compile_language_host() {
    (cd "$root/engine/langhost" && CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
        -o "$tmp/$pinned_host" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
    write_host_wrapper "$tmp"
}

# The pinned language host reads Pulumi.yaml's `runtime.options.virtualenv` only from a
# -virtualenv flag, which current engines no longer pass (they send the option inside each
# request, which this host predates): unaided it runs the program under the first python on PATH.
# So the engine finds a wrapper under the host's name, beside the CLI where Pulumi ships its
# hosts; the wrapper reads the option from the project's Pulumi.yaml and hands it to the host as
# that flag. The host then makes the virtualenv and installs requirements.txt into it when it is
# missing, runs the program with it, and `pulumi new` installs into it (engine/README.md).
#
# The wrapper also ends the host and the program with the engine. The engine closes a host by
# killing its process group, but when the engine itself is killed (a CI job's timeout) nothing
# did: the host and its program lived on. So the host runs as the wrapper's child, and a watcher
# ends the group (host, program, wrapper) once the wrapper's parent, the engine, is gone.
pinned_host="pulumi-language-python-$host_version"
host_wrapper_mark="caigunn (host wrapper 5): passes runtime.options.virtualenv (or its caigunn-host view) to the pinned language host, and ends it with its engine"
write_host_wrapper() {
    local dir=$1
    cat >"$dir/.pulumi-language-python.new" <<EOF
#!/bin/sh
# $host_wrapper_mark
# (written by scripts/setup-engine.sh; see engine/README.md).
host="\$(dirname -- "\$(readlink -f -- "\$0")")/$pinned_host"
# Runs the host as a child; a watcher ends this process group (the host, the program it started,
# this shell) within about 3 s once the engine that started this shell is gone.
# The engine ends a host it is done with by sending SIGINT to its group, then waits up to 5 s
# before killing it. A shell started with SIGINT ignored (a background job: nohup ... &, some CI
# runners) cannot trap it, and the host would inherit the ignoring and sit out those 5 s on every
# run: the host gets SIGINT back at its default where env can do that.
run_host() {
    if env --default-signal=INT true 2>/dev/null; then
        env --default-signal=INT "\$host" "\$@" &
    else
        "\$host" "\$@" &
    fi
    child=\$!
    engine=\$PPID
    (
        # SIGTERM is ignored so that the watcher outlives its own kill -TERM 0; the wrapper
        # ends it with SIGUSR1 once the host has exited.
        trap '' TERM
        trap 'exit 0' USR1
        # The whole group only when this shell leads it, as the engine starts it; started any
        # other way (by hand), the group is someone else's, and only the host is ended.
        group=0
        [ "\$(ps -o pgid= -p \$\$ 2>/dev/null | tr -d ' ')" = "\$\$" ] || group=\$child
        while kill -0 "\$child" 2>/dev/null; do
            parent=\$(ps -o ppid= -p \$\$ 2>/dev/null | tr -d ' ')
            if [ -n "\$parent" ] && [ "\$parent" != "\$engine" ]; then
                kill -TERM "\$group" 2>/dev/null
                sleep 2
                kill -KILL "\$group" 2>/dev/null
            fi
            sleep 1
        done
    ) </dev/null >/dev/null 2>&1 &
    watcher=\$!
    trap 'kill -TERM "\$child" 2>/dev/null' HUP INT TERM
    wait "\$child"
    status=\$?
    kill -USR1 "\$watcher" 2>/dev/null
    exit "\$status"
}
case " \$* " in *" -virtualenv"* | *" --virtualenv"*) run_host "\$@" ;; esac
# The project: the nearest Pulumi.yaml from the working directory up (the engine starts the host
# in the program's directory).
dir=\$PWD
while [ ! -f "\$dir/Pulumi.yaml" ] && [ ! -f "\$dir/Pulumi.yml" ]; do
    [ "\$dir" = / ] && run_host "\$@"
    dir=\$(dirname -- "\$dir")
done
project=\$dir/Pulumi.yaml
[ -f "\$project" ] || project=\$dir/Pulumi.yml
venv=\$(sed -n 's/^[[:space:]][[:space:]]*virtualenv:[[:space:]]*\([^#]*\).*/\1/p' "\$project" |
    head -n 1 | sed -e 's/[[:space:]]*\$//' -e 's/^["'\'']//' -e 's/["'\'']\$//')
[ -n "\$venv" ] || run_host "\$@"
# A virtualenv that set-up prepared has a view for the host (caigunn-host/, below): the same
# python, with a fast answer to the host's question of which packages are installed.
case \$venv in /*) full=\$venv ;; *) full=\$dir/\$venv ;; esac
[ -x "\$full/caigunn-host/bin/python" ] && venv=\${venv%/}/caigunn-host
run_host -root "\$dir" -virtualenv "\$venv" "\$@"
EOF
    chmod 0755 "$dir/.pulumi-language-python.new"
    mv -f "$dir/.pulumi-language-python.new" "$dir/pulumi-language-python"
}

# A build cached before the wrapper existed has the compiled host under the plain name: it is kept
# (and a wrapper whose mark, above, is not this one is rewritten: bump its number with any change)
# under its versioned name and the wrapper put in front (by a rename, so that an engine running
# meanwhile never finds the host missing).
wrap_cached_host() {
    local dir=$1
    grep -qsF "$host_wrapper_mark" "$dir/pulumi-language-python" && return 0
    [ -x "$dir/$pinned_host" ] || cp -p "$dir/pulumi-language-python" "$dir/$pinned_host"
    write_host_wrapper "$dir"
}

build_engine() {
    local why=$1 started=$SECONDS
    command -v go >/dev/null 2>&1 || {
        local need="v$oldest_pulumi"
        $need_postgres && need="v$oldest_postgres_pulumi"
        die "no usable Pulumi engine: ${why:-no pulumi on PATH}, and no Go toolchain to build one.
  Either install Pulumi $need or newer ($install_url) so that 'pulumi',
  'pulumi-language-python', 'pulumi-language-python-exec' and 'pulumi-resource-pulumi-python' are
  on PATH together, or install Go 1.26 or newer to build the pinned $cli_version, then run make again."
    }
    [ -z "$why" ] || say "$why; so set-up builds the pinned engine instead"
    mkdir -p "$cache_root"
    tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    : >"$log"
    say "building the pinned Pulumi $cli_version from Go modules, once per machine (about 4 minutes on 2 cores; log: $log)"
    # -mod=readonly: the committed go.sum is the pin; a mismatch is an error, not a silent update.
    export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
    step "downloading Go modules (about 1.7 GB)" download_modules
    step "compiling the CLI" compile_cli
    step "compiling the Python language host $host_version" compile_language_host
    rm -rf "$cache"
    mv "$tmp" "$cache"
    trap - EXIT
    built_in=$((SECONDS - started))
}

built_in=''
if is_complete "$cache"; then
    wrap_cached_host "$cache"
    engine_dir=$cache
    origin="cached build in $cache"
else
    find_installed
    if [ -n "$installed_dir" ]; then
        engine_dir=$installed_dir
        origin="installed in $installed_dir"
        at_least "$installed_version" "$oldest_postgres_pulumi" ||
            origin="$origin; it has no PostgreSQL state backend, which needs v$oldest_postgres_pulumi"
    else
        build_engine "$installed_refusal"
        engine_dir=$cache
        origin="built in $built_in s, cached in $cache"
    fi
fi

[ -d "$venv_bin" ] || die "$venv_bin is missing: create the virtualenv first (make setup)"
for f in pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
    ln -sfn "$engine_dir/$f" "$venv_bin/$f"
done
# The language host's view of this virtualenv. On every preview, up, refresh and destroy the host
# runs `python -m pip list -v --format json` in the virtualenv to find packages that ship a Pulumi
# plugin: half a second of CPU each time, most of it pip's own start. The wrapper above points the
# host at caigunn-host/ instead, whose python runs the virtualenv's python for everything but
# that one question, which it answers from importlib.metadata with the fields the host reads
# (name, version, location). Its bin/ also holds pulumi, as the virtualenv's bin/ does, since the
# host puts the folder it is given first on the program's PATH.
host_view="$root/.venv/caigunn-host"
mkdir -p "$host_view/bin"
cat >"$host_view/bin/.python.new" <<'VIEW'
#!/bin/sh
# caigunn: the language host's view of this virtualenv (written by scripts/setup-engine.sh).
real="$(dirname -- "$0")/../../bin/python"
if [ "$*" = "-m pip list -v --format json" ]; then
    exec "$real" -c '
import importlib.metadata, json
seen, found = set(), []
for dist in importlib.metadata.distributions():
    name = dist.metadata["Name"]
    key = (name or "").lower().replace("_", "-")
    if name and key not in seen:
        seen.add(key)
        found.append({"name": name, "version": dist.version, "location": str(dist.locate_file(""))})
print(json.dumps(found))
'
fi
exec "$real" "$@"
VIEW
chmod 0755 "$host_view/bin/.python.new"
mv -f "$host_view/bin/.python.new" "$host_view/bin/python"
ln -sfn ../../bin/pulumi "$host_view/bin/pulumi"

# pulumi is a wrapper, not a link: the pinned language host runs the first python on PATH (see
# engine/README.md), so this virtualenv goes first even when it is not activated.
rm -f "$venv_bin/pulumi"
cat >"$venv_bin/pulumi" <<EOF
#!/bin/sh
# Runs the Pulumi engine chosen by scripts/setup-engine.sh with this virtualenv first on PATH.
here=\$(CDPATH= cd -- "\$(dirname -- "\$0")" && pwd)
PATH="\$here:\$PATH" exec "$engine_dir/pulumi" "\$@"
EOF
chmod 0755 "$venv_bin/pulumi"
say "ready: pulumi $("$venv_bin/pulumi" version) ($origin)"
