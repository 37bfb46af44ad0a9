/**
 * @module The Worker's vars as the CLI's target sees them, for the settings a command shares with
 * the Worker (UNUSED_CLIENT_DAYS for cleanup, API_RESOURCE and ISSUER for createresource):
 * `[vars]` of wrangler.toml, then (local targets, as `npm start` reads it) `.dev.vars`, then the
 * CLI's own environment, each over the one before. A var set only in the Cloudflare dashboard is
 * not seen: set it in the environment for `--remote`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { parse } from 'smol-toml'
import type { Target } from './d1'

const ROOT = join(import.meta.dirname, '..', '..')

/** The vars the CLI reads; the rest of the Worker's environment means nothing to it. */
const NAMES = ['UNUSED_CLIENT_DAYS', 'API_RESOURCE', 'ISSUER'] as const

export type CliVars = Partial<Record<(typeof NAMES)[number], string>>

/** The vars for `target`, from wrangler.toml, `.dev.vars` (local) and the environment. */
export function workerVars(target: Target): CliVars {
  const toml = parse(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')) as { vars?: Record<string, unknown> }
  const devVarsFile = join(ROOT, '.dev.vars')
  const devVars = !target.remote && existsSync(devVarsFile) ? parseEnv(readFileSync(devVarsFile, 'utf8')) : {}
  const vars: CliVars = {}
  for (const name of NAMES) {
    const value = process.env[name] ?? devVars[name] ?? toml.vars?.[name]
    if (value !== undefined) vars[name] = String(value)
  }
  return vars
}
