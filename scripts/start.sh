#!/bin/sh
# `npm start`: apply pending D1 migrations to the local database, then serve the Worker on
# http://127.0.0.1:${PORT:-8787} with local D1 and KV (state in .wrangler/state). No account needed.
set -e
cd "$(dirname "$0")/.."
# wrangler asks "continue?" before applying migrations when stdin and stdout are a terminal; with
# stdin not a terminal it takes its fallback answer, yes. A local database has no one to wait for.
# Its tables and prompt are noise on every start: show them only when the apply fails.
if ! out=$(sh scripts/wrangler.sh d1 migrations apply DB --local </dev/null 2>&1); then
  printf '%s\n' "$out" >&2
  exit 1
fi
echo "npm start: local D1 migrations applied (state in .wrangler/state)" >&2
# A development-only OpenID Connect signing key, made on the first run and kept beside the local
# state (.wrangler/ is gitignored). Deployments use the OIDC_PRIVATE_KEYS secret instead (README).
mkdir -p .wrangler
node_modules/.bin/tsx scripts/oidc-keygen.ts --dev-key-file .wrangler/oidc-dev-key.env
# Naming env files makes wrangler skip its defaults, so name yours too; later files win.
set -- --env-file .wrangler/oidc-dev-key.env "$@"
if [ -f .dev.vars ]; then set -- "$@" --env-file .dev.vars; elif [ -f .env ]; then set -- "$@" --env-file .env; fi
# wrangler dev prints its own line for every request ("[wrangler:info] GET /users/1/ 200 OK (3ms)",
# no option to stop it in 4.86), so the Worker's own request line (LOG_REQUESTS) is turned off here:
# each request is logged once, and passing a log line through wrangler's process was ~20% of a
# request's throughput under `npm start` (docs/performance.md). The Worker's other events still
# print. The inspector port is wrangler's pick (9229 or the next free one), so two servers on
# different PORTs run side by side.
exec sh scripts/wrangler.sh dev --ip 127.0.0.1 --port "${PORT:-8787}" --var LOG_REQUESTS:false "$@"
