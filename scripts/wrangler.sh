#!/bin/sh
# Runs the project's wrangler with everything that would reach the network switched off
# (update check, telemetry, cf.json), so local commands work offline and without an account.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false WRANGLER_HIDE_BANNER=true \
  CLOUDFLARE_CF_FETCH_ENABLED=false
exec "$(dirname "$0")/../node_modules/.bin/wrangler" "$@"
