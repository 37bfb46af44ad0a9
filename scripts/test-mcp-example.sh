#!/bin/sh
# The MCP example's end-to-end test (examples/mcp-server), run by the root `npm test`: installs the
# example's own dependencies when they are missing (its lockfile, `npm ci`), type-checks it (the
# root's `npm run typecheck` does not reach it), then runs its test.
set -e
cd "$(dirname "$0")/../examples/mcp-server"
if [ ! -x node_modules/.bin/vitest ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/tsc --noEmit -p tsconfig.json
exec node_modules/.bin/vitest run
