/**
 * @module Where the CLI's statements run. Local (default, or `--persist-to`): in this process, on
 * the local D1 and KV Miniflare opens (./local.ts), as one D1 batch (one transaction). Remote
 * (`--remote`): through `wrangler d1 execute --remote`, the statements' SQL text in one call, and
 * KV records deleted with `wrangler kv key delete --remote`.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { systemClock } from '../../src/clock'
import { readSettings } from '../../src/config'
import { createDb, type Db } from '../../src/db/client'
import type { TokenDeps } from '../../src/tokens/deps'
import { opaqueAccessTokens } from '../../src/tokens/opaque'
import { applyLocalMigrations, D1Error, execute, type StatementResult, type Target, wrangler } from './d1'
import { openLocalState } from './local'
import { remoteD1 } from './remote-d1'

/** A database and token store to run the CLI's statements against, local or remote. */
export type Runner = {
  target: Target
  /** Runs `;`-terminated SQL statements in order (one batch, one transaction locally); each statement's rows. */
  run(statements: string[]): Promise<StatementResult[]>
  /** drizzle over the target's D1 (remote: through wrangler, ./remote-d1.ts). */
  db: Db
  /** The token service's dependencies over the target's D1 and KV (remote: each KV delete is a wrangler call). */
  deps: TokenDeps
  close(): Promise<void>
}

const MIGRATIONS = join(import.meta.dirname, '..', '..', 'migrations')

/**
 * A local database is one SQLite file that a running `npm start` may be writing at the same
 * moment: SQLite then answers "database is locked", and nothing was written. Local batches are
 * retried for about 15 s (under a burst of failed sign-ins, each reserving its attempt in D1, a lock
 * outlasted 4 s once in a CI run); remote ones never are (a retried write there could run twice).
 */
const LOCKED = /database is locked|SQLITE_BUSY/
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 3000, 4000, 4000]

/** The D1 error's one line, as wrangler reports it: without D1's prefix and SQLite's code suffix. */
const oneLine = (err: unknown) =>
  String((err as { cause?: unknown })?.cause ?? err)
    .replace(/^Error:\s*/, '')
    .replace(/^D1_ERROR:\s*/, '')
    .replace(/:\s*SQLITE_[A-Z_]+.*$/s, '')
    .split('\n')[0]!

function settingsForCli(): TokenDeps['settings'] {
  // The lifetimes do not matter to revocation; the Worker's defaults keep the type whole.
  return readSettings({})
}

const depsOver = (db: Db, kv: KVNamespace): TokenDeps => ({
  db,
  kv,
  clock: systemClock,
  settings: settingsForCli(),
  accessTokens: opaqueAccessTokens(kv, systemClock),
})

/** Opens the runner for `target`; locally, pending migrations are applied first (a fresh clone works). */
export async function openRunner(target: Target): Promise<Runner> {
  if (target.remote) {
    // `wrangler kv key delete` names the binding; deleting an absent key is not an error.
    const kv = {
      delete: async (key: string) => void wrangler(target, ['kv', 'key', 'delete', key, '--binding', 'TOKENS']),
    } as unknown as KVNamespace
    const db = createDb(remoteD1(target))
    return {
      target,
      db,
      deps: depsOver(db, kv),
      run: async (s) => execute(target, s.join('\n')),
      close: async () => {},
    }
  }
  const state = await openLocalState(target.persistTo)
  try {
    await migrateIfNeeded(target, state.d1)
  } catch (err) {
    await state.dispose()
    throw err
  }
  const db = createDb(state.d1)
  return {
    target,
    db,
    deps: depsOver(db, state.kv),
    run: (statements) => withLockRetry(() => batch(state.d1, statements)),
    close: state.dispose,
  }
}

async function batch(d1: D1Database, statements: string[]): Promise<StatementResult[]> {
  try {
    const results = await d1.batch(statements.map((s) => d1.prepare(s)))
    return results.map((r) => ({ results: (r.results ?? []) as Record<string, unknown>[], success: r.success }))
  } catch (err) {
    throw new D1Error(oneLine(err))
  }
}

/** Runs `work`, again after a pause while the local database is locked by another process. */
export async function withLockRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt]
      const message = err instanceof D1Error ? err.message : oneLine(err)
      if (delay === undefined || !LOCKED.test(message)) throw err instanceof D1Error ? err : new D1Error(message)
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}

/** Whether every migration file is recorded as applied; if not, wrangler applies them (as `npm start` does). */
async function migrateIfNeeded(target: Target, d1: D1Database): Promise<void> {
  const wanted = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))
  let applied: string[] = []
  try {
    const { results } = await d1.prepare('select name from d1_migrations').all<{ name: string }>()
    applied = results.map((r) => r.name)
  } catch {} // no d1_migrations table: a fresh state
  if (wanted.every((name) => applied.includes(name))) return
  applyLocalMigrations(target)
}
