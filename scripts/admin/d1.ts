/**
 * Running SQL through `wrangler d1 execute`, against the local database (default), a given local
 * state folder (`--persist-to`) or the deployed one (`--remote`). Wrangler's own output goes to
 * stderr, so the CLI's stdout carries only its answer.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

const WRANGLER = join(import.meta.dirname, '..', 'wrangler.sh')

export type Target = { remote: boolean; persistTo?: string }

function wrangler(target: Target, args: string[]): string {
  const where = target.remote ? ['--remote'] : ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : [])]
  try {
    return execFileSync('sh', [WRANGLER, ...args, ...where], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' }, // never prompt
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    throw new D1Error(`${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

export class D1Error extends Error {
  constructor(readonly output: string) {
    // The first line wrangler marks as an error, without its decorations.
    const line = output.split('\n').find((l) => /ERROR|error/.test(l)) ?? 'wrangler d1 execute failed'
    super(line.replace(/\x1b\[[0-9;]*m/g, '').replace(/^[✘\s[\]A-Z]*ERROR\]?\s*/, '').trim())
    this.name = 'D1Error'
  }
}

/** Applies pending migrations, so the CLI works on a fresh clone before `npm start` ever ran. */
export function applyMigrations(target: Target): void {
  wrangler(target, ['d1', 'migrations', 'apply', 'DB'])
}

export type StatementResult = { results: Record<string, unknown>[]; meta: { changes?: number } }

/** Runs one or more statements; returns each statement's rows and meta (`changes`). */
export function execute(target: Target, sql: string): StatementResult[] {
  const out = wrangler(target, ['d1', 'execute', 'DB', '--json', '--command', sql])
  return JSON.parse(out.slice(out.indexOf('['))) as StatementResult[]
}

/** The rows of a single query. */
export const query = (target: Target, sql: string) => execute(target, sql)[0]?.results ?? []
