/**
 * @module Running SQL through `wrangler d1 execute`, against the local database (default), a given
 * local state folder (`--persist-to`) or the deployed one (`--remote`). Wrangler's output is
 * captured, never copied to stdout, so the CLI's stdout carries only its answer.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

const WRANGLER = join(import.meta.dirname, '..', 'wrangler.sh')

/** Which database: the deployed one, or the local one (in wrangler's default state folder or `persistTo`). */
export type Target = { remote: boolean; persistTo?: string }

/** The wrangler flags that select `target`. */
export const targetFlags = (target: Target) =>
  target.remote ? ['--remote'] : ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : [])]

function wranglerOnce(target: Target, args: string[]): string {
  try {
    return execFileSync('sh', [WRANGLER, ...args, ...targetFlags(target)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' }, // never prompt
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    // SQLite's code suffix (": SQLITE_CONSTRAINT (extended: …)") says nothing the text does not.
    throw new D1Error(failureLine(e.stdout ?? '', e.stderr ?? '').replace(/:\s*SQLITE_[A-Z_]+.*$/, ''))
  }
}

/**
 * A local database is one SQLite file that a running `npm start` may be writing at the same
 * moment: wrangler then fails with "database is locked" (or hides it behind "internal error"), and
 * nothing was written. Local calls are retried for about 15 s; remote ones never are (a retried
 * write there could run twice). Under a burst of failed sign-ins (each reserves its attempt in D1)
 * a lock outlasted the 4 s this used to wait, once in a CI run.
 */
const LOCKED = /database is locked|internal error; reference/
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 3000, 4000, 4000]

/** Runs a wrangler command against `target`; wrangler's output is returned, a failure thrown as D1Error. */
export function wrangler(target: Target, args: string[]): string {
  for (let attempt = 0; ; attempt++) {
    try {
      return wranglerOnce(target, args)
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt]
      if (target.remote || delay === undefined || !(err instanceof D1Error && LOCKED.test(err.message))) throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay)
    }
  }
}

/** The one line that says why wrangler failed: the `--json` error's text, else its first `[ERROR]` line. */
function failureLine(stdout: string, stderr: string): string {
  try {
    const text = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { error?: { text?: string } }).error?.text
    if (text) return text
  } catch {}
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes stripped here.
  const lines = `${stderr}\n${stdout}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n')
  const line = lines.find((l) => l.includes('[ERROR]')) ?? lines.find((l) => /error/i.test(l)) ?? 'wrangler failed'
  return line.replace(/^[^A-Za-z]*\[ERROR\]\s*/, '').trim()
}

/** A failed wrangler call. `message` is one line, e.g. "UNIQUE constraint failed: users.username". */
export class D1Error extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'D1Error'
  }
}

/** Applies pending migrations to the local database, so the CLI works before `npm start` ever ran. */
export function applyLocalMigrations(target: Target): void {
  if (target.remote) throw new Error('remote migrations are applied by the operator, not by the CLI')
  wrangler(target, ['d1', 'migrations', 'apply', 'DB'])
}

export type StatementResult = { results: Record<string, unknown>[]; success: boolean; meta?: { changes?: number } }

/** Runs one or more `;`-separated statements in order, in one wrangler call; returns each statement's rows. */
export function execute(target: Target, sql: string): StatementResult[] {
  const out = wrangler(target, ['d1', 'execute', 'DB', '--json', '--yes', '--command', sql])
  return JSON.parse(out.slice(out.indexOf('['))) as StatementResult[]
}
