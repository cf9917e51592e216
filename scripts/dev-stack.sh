#!/usr/bin/env bash
# Runs pulumi against the local `dev` stack: the registry on the local Docker engine, 127.0.0.1:5000,
# plain HTTP (loopback only), one generated user. State lives in ./.pulumi-state (git-ignored).
#   npm run up                         provision (`up`; with no argument the script prints its usage)
#   npm run preview / npm run destroy
#   npm run -s pulumi -- ARGS...       any pulumi command on the dev stack, e.g. `stack output`
# Real servers (a VM over ssh://, Let's Encrypt) use a stack of their own: see README, "Your own VM".
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'USAGE'
usage: npm run up                       provision the dev stack (pulumi up)
       npm run preview                  pulumi preview --diff of the dev stack
       npm run destroy                  pulumi destroy of the dev stack
       npm run -s pulumi -- ARGS...     any pulumi command on the dev stack, e.g. stack output
USAGE
}
# `npm run pulumi` with nothing after it used to run `pulumi up --yes`: a command that changes servers
# must be asked for by name.
if [ $# -eq 0 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
    usage
    [ $# -eq 0 ] && exit 2
    exit 0
fi

[ -d node_modules ] || npm ci --no-audit --no-fund >&2

# An installed Pulumi CLI wins. `npm run` puts node_modules/.bin first on PATH, where the npm package
# `pulumi` (a dev dependency) has a shim of the same name: skip it while looking.
installed_cli() {
    if [ -n "${PULUMI_CLI:-}" ]; then
        printf '%s\n' "$PULUMI_CLI"
        return
    fi
    local dir dirs
    IFS=: read -ra dirs <<<"$PATH"
    for dir in "${dirs[@]}" "$HOME/.pulumi/bin"; do
        case "$dir" in */node_modules/.bin) continue ;; esac
        if [ -x "$dir/pulumi" ]; then
            printf '%s\n' "$dir/pulumi"
            return
        fi
    done
}
cli=$(installed_cli)
if [ -n "$cli" ]; then
    PULUMI=("$cli")
else
    # Pulumi's own npm package: it downloads the matching CLI on first use. Try that once, and say plainly
    # what to do when it cannot (no internet, a proxy).
    echo "dev-stack: no Pulumi CLI installed; the 'pulumi' npm package downloads one on first use" >&2
    PULUMI=(npx --no-install pulumi)
    if ! out=$("${PULUMI[@]}" version 2>&1); then
        {
            echo "dev-stack: ERROR: no Pulumi CLI is installed, and the 'pulumi' npm package could not download one:"
            printf 'dev-stack:   %s\n' "$(printf '%s' "$out" | tail -n 1)"
            echo "dev-stack: Install the CLI (https://www.pulumi.com/docs/install/, e.g. curl -fsSL https://get.pulumi.com | sh),"
            echo "dev-stack: or point PULUMI_CLI at one you have: PULUMI_CLI=/path/to/pulumi npm run up"
        } >&2
        exit 1
    fi
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
mkdir -p .pulumi-state
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE="faasreg-local-dev-only"
    echo "dev-stack: WARNING: PULUMI_CONFIG_PASSPHRASE is not set; using the fixed passphrase 'faasreg-local-dev-only'." >&2
    echo "dev-stack:          It protects the secrets of this LOCAL dev stack only. Set your own for anything else." >&2
fi

# The dev stack is named on every command (--stack dev), never selected: Pulumi remembers ONE selected stack per
# project, for every backend, so selecting dev here would leave plain `pulumi` commands in this checkout (your own
# stack, on your own backend) with no stack selected. Nothing of this goes to stdout, which may be piped (docker login).
STACK=(--stack dev)
if ! "${PULUMI[@]}" stack ls --json 2>/dev/null | grep -Eq '"name": *"dev"'; then
    "${PULUMI[@]}" stack init dev --secrets-provider passphrase --no-select >&2
    # The admin password, generated once and kept in the stack's config (encrypted): it survives `npm run destroy`
    # and the next `npm run up`, so a `docker login` made before keeps working.
    "${PULUMI[@]}" config set "${STACK[@]}" --path 'registry:users[0].username' admin >&2
    node -e 'process.stdout.write(require("crypto").randomBytes(30).toString("base64url"))' |
        "${PULUMI[@]}" config set "${STACK[@]}" --secret --path 'registry:users[0].password' >&2
fi
"${PULUMI[@]}" config get "${STACK[@]}" registry:tls >/dev/null 2>&1 || "${PULUMI[@]}" config set "${STACK[@]}" registry:tls none >&2

# Outside a terminal (CI, a script) pulumi cannot ask for confirmation: say --yes, for destroy as for up.
yes=()
[ -t 0 ] || yes=(--yes)

case "$1" in
up) ;;
destroy) exec "${PULUMI[@]}" destroy "${STACK[@]}" "${yes[@]}" "${@:2}" ;;
# Commands that act on a stack get --stack dev, unless they name one themselves.
preview | refresh | stack | config | import | state | cancel | watch | logs | console)
    for arg in "$@"; do
        case "$arg" in --stack | --stack=* | -s | rm | init | select | ls) exec "${PULUMI[@]}" "$@" ;; esac
    done
    exec "${PULUMI[@]}" "$@" "${STACK[@]}"
    ;;
*) exec "${PULUMI[@]}" "$@" ;;
esac

shift
if ! "${PULUMI[@]}" up "${STACK[@]}" "${yes[@]}" "$@"; then
    # Docker's bind error names the port but not what to do. Another program on it (on macOS, AirPlay Receiver
    # takes 5000) is one that answers, and not as a registry (no Docker-Distribution-Api-Version header).
    port=$("${PULUMI[@]}" config get "${STACK[@]}" registry:port 2>/dev/null || echo 5000)
    if node -e '
        const port = Number(process.argv[1]);
        const free = () => new Promise((ok) => { const s = require("net").createServer().once("error", () => ok(false)).listen(port, "127.0.0.1", () => s.close(() => ok(true))); });
        const registry = () => fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(3000) }).then((r) => r.headers.has("docker-distribution-api-version"), () => false);
        (async () => process.exit(!(await free()) && !(await registry()) ? 0 : 1))();
    ' "$port"; then
        {
            echo ""
            echo "dev-stack: port $port on 127.0.0.1 is taken by another program (on macOS, AirPlay Receiver uses 5000)."
            echo "dev-stack: Pick another port for the dev registry, then run npm run up again:"
            echo "dev-stack:   npm run -s pulumi -- config set registry:port $((port + 1))"
        } >&2
    fi
    exit 1
fi
server=$("${PULUMI[@]}" stack output "${STACK[@]}" registryServer)
user=$("${PULUMI[@]}" stack output "${STACK[@]}" registryUsername)
cat <<MSG

The registry is up at http://$server (user: $user). Log in with:

  npm run -s pulumi -- stack output registryPassword --show-secrets | docker login $server -u $user --password-stdin

The password is a secret: it is printed only with --show-secrets. It is kept in the dev stack's config, so it
stays the same across npm run destroy and npm run up.
MSG
