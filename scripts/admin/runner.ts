/**
 * @module Where the CLI's statements run. Local (default, or `--persist-to`): in this process, on
 * the local D1 and KV Miniflare opens (./local.ts), a batch as one D1 batch (one transaction).
 * Remote (`--remote`): through `wrangler d1 execute --remote` (./remote-d1.ts), a batch's SQL text
 * in one call, and KV records deleted with `wrangler kv key delete --remote`.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BatchItem } from 'drizzle-orm/batch'
import { systemClock } from '../../src/clock'
import { readSettings } from '../../src/config'
import { createDb, type Db } from '../../src/db/client'
import type { TokenDeps } from '../../src/tokens/deps'
import { opaqueAccessTokens } from '../../src/tokens/opaque'
import { applyLocalMigrations, D1Error, type Target, wrangler } from './d1'
import { openLocalState } from './local'
import { remoteD1 } from './remote-d1'
import { type CliVars, workerVars } from './vars'

/** A database and token store to run the CLI's statements against, local or remote. */
export type Runner = {
  target: Target
  /** drizzle over the target's D1 (remote: through wrangler, ./remote-d1.ts). */
  db: Db
  /** The target's D1 itself, for store code that takes one (the cleanup); local calls retried while locked. */
  d1: D1Database
  /** The token service's dependencies over the target's D1 and KV (remote: each KV delete is a wrangler call). */
  deps: TokenDeps
  /** The Worker's vars the CLI reads (./vars.ts); `deps.settings` is read from them. */
  vars: CliVars
  /** Runs drizzle queries in one D1 batch (locally retried while another process holds the lock). */
  batch(statements: BatchItem<'sqlite'>[]): Promise<unknown[]>
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

const depsOver = (db: Db, kv: KVNamespace, vars: CliVars): TokenDeps => ({
  db,
  kv,
  clock: systemClock,
  settings: readSettings(vars),
  accessTokens: opaqueAccessTokens(kv, systemClock),
})

/** Opens the runner for `target`; locally, pending migrations are applied first (a fresh clone works). */
export async function openRunner(target: Target): Promise<Runner> {
  const vars = workerVars(target)
  if (target.remote) {
    // `wrangler kv key delete` names the binding; deleting an absent key is not an error.
    const kv = {
      delete: async (key: string) => void wrangler(target, ['kv', 'key', 'delete', key, '--binding', 'TOKENS']),
    } as unknown as KVNamespace
    const d1 = remoteD1(target)
    const db = createDb(d1)
    const batch = async (statements: BatchItem<'sqlite'>[]) => {
      try {
        return await db.batch(statements as [never, ...never[]])
      } catch (err) {
        const message = err instanceof D1Error ? err.message : oneLine(err)
        if (/no such table/.test(message)) {
          throw new D1Error(`${message} (apply the migrations first: npx wrangler d1 migrations apply DB --remote)`)
        }
        throw err instanceof D1Error ? err : new D1Error(message)
      }
    }
    return { target, db, d1, deps: depsOver(db, kv, vars), vars, batch, close: async () => {} }
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
    d1: retryingWhileLocked(state.d1),
    deps: depsOver(db, state.kv, vars),
    vars,
    batch: (statements) => withLockRetry(() => db.batch(statements as [never, ...never[]])),
    close: state.dispose,
  }
}

/** `d1` whose single statements (`prepare(…).run()`, what the cleanup runs) are retried while the database is locked. */
function retryingWhileLocked(d1: D1Database): D1Database {
  return {
    prepare: (query: string) => {
      const statement = d1.prepare(query)
      return { run: () => withLockRetry(() => statement.run()) }
    },
  } as unknown as D1Database
}

/** Runs `work`, again after a pause while the local database is locked by another process; failures as D1Error. */
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
