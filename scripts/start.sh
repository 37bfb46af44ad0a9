#!/bin/sh
# `npm start`: apply pending D1 migrations to the local database, then serve the Worker on
# http://127.0.0.1:${PORT:-8787} with local D1 and KV (state in .wrangler/state). No account needed.
set -e
cd "$(dirname "$0")/.."
sh scripts/wrangler.sh d1 migrations apply DB --local >&2
exec sh scripts/wrangler.sh dev --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
