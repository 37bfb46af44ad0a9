#!/bin/sh
# Fails when the schema and the committed migrations, or wrangler.toml and the generated binding
# types, have drifted apart.
set -e
cd "$(dirname "$0")/.."
out=$(npx drizzle-kit generate --name drift-check 2>&1)
if ! echo "$out" | grep -q "No schema changes"; then
  echo "$out" >&2
  echo "drift: src/db/schema.ts has changes no migration covers; run npm run db:generate -- --name <change>" >&2
  git checkout -- migrations 2>/dev/null; git clean -fdq migrations 2>/dev/null
  exit 1
fi
sh scripts/wrangler.sh types --strict-vars=false --include-runtime=false --check >&2 || {
  echo "drift: worker-configuration.d.ts is out of date; run npm run cf-typegen" >&2; exit 1; }
echo "no drift" >&2
