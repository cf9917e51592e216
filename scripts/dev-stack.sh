#!/usr/bin/env bash
# Runs a pulumi command against the local `dev` stack: the registry on the local Docker engine,
# 127.0.0.1:5000, plain HTTP (loopback only), one generated user. State lives in ./.pulumi-state
# (git-ignored). Used by `npm run up`, `npm run preview` and `npm run destroy`.
# Real servers (a VM over ssh://, Let's Encrypt) use a stack of their own: see README, "Your own VM".
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund

if command -v pulumi >/dev/null 2>&1; then
    PULUMI=(pulumi)
else
    # Pulumi's own npm package: it downloads the matching CLI on first use.
    echo "dev-stack: no pulumi CLI on PATH; using the 'pulumi' npm package (downloads the CLI on first use)" >&2
    PULUMI=(npx --no-install pulumi)
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
mkdir -p .pulumi-state
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE="faasreg-local-dev-only"
    echo "dev-stack: WARNING: PULUMI_CONFIG_PASSPHRASE is not set; using the fixed passphrase 'faasreg-local-dev-only'." >&2
    echo "dev-stack:          It protects the secrets of this LOCAL dev stack only. Set your own for anything else." >&2
fi

STACK=dev
"${PULUMI[@]}" stack select "$STACK" >/dev/null 2>&1 || "${PULUMI[@]}" stack init "$STACK" --secrets-provider passphrase
if ! "${PULUMI[@]}" config get registry:tls --stack "$STACK" >/dev/null 2>&1; then
    "${PULUMI[@]}" config set registry:tls none --stack "$STACK"
fi

cmd="${1:-up}"
shift || true
case "$cmd" in
    up)
        yes=()
        [ -t 0 ] || yes=(--yes)
        "${PULUMI[@]}" up --stack "$STACK" "${yes[@]}" "$@"
        server=$("${PULUMI[@]}" stack output registryServer --stack "$STACK")
        user=$("${PULUMI[@]}" stack output registryUsername --stack "$STACK")
        cat <<MSG

The registry is up at http://$server (user: $user). Log in with:

  npx pulumi stack output registryPassword --show-secrets --stack $STACK | docker login $server -u $user --password-stdin

(the password is a secret: it is printed only with --show-secrets)
MSG
        ;;
    *)
        "${PULUMI[@]}" "$cmd" --stack "$STACK" "$@"
        ;;
esac
