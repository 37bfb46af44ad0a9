/**
 * @module The local D1 database and KV namespace that `npm start` (`wrangler dev`) serves, opened
 * in this process with Miniflare, the simulator wrangler itself runs: the same ids (wrangler.toml)
 * and the same state folder (`.wrangler/state/v3`, or `<persist-to>/v3`), so a running server sees
 * what the CLI writes and the other way round. One Miniflare start instead of a wrangler process
 * per statement (docs/admin-cli.md, "Cost").
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { parse } from 'smol-toml'

const ROOT = join(import.meta.dirname, '..', '..')

type WranglerToml = {
  d1_databases: { binding: string; database_id: string; preview_database_id?: string }[]
  kv_namespaces: { binding: string; id: string; preview_id?: string }[]
}

/** The ids wrangler gives the local simulator for the DB and TOKENS bindings (preview ids first, as it does). */
function localIds(): { db: string; kv: string } {
  const toml = parse(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')) as unknown as WranglerToml
  const db = toml.d1_databases.find((d) => d.binding === 'DB')
  const kv = toml.kv_namespaces.find((k) => k.binding === 'TOKENS')
  if (!db || !kv) throw new Error('wrangler.toml has no DB or TOKENS binding')
  return { db: db.preview_database_id ?? db.database_id, kv: kv.preview_id ?? kv.id }
}

/** The local bindings, and how to let them go (the process may not exit while Miniflare runs). */
export type LocalState = { d1: D1Database; kv: KVNamespace; dispose: () => Promise<void> }

/** Opens the local state in `persistTo` (default `.wrangler/state`, what `npm start` uses). */
export async function openLocalState(persistTo?: string): Promise<LocalState> {
  const root = join(persistTo ?? join(ROOT, '.wrangler', 'state'), 'v3')
  const ids = localIds()
  const mf = new Miniflare({
    modules: true,
    script: '',
    d1Persist: join(root, 'd1'),
    kvPersist: join(root, 'kv'),
    d1Databases: { DB: ids.db },
    kvNamespaces: { TOKENS: ids.kv },
    // workerd logs a lock it met ("database is locked: SQLITE_BUSY") on its own stderr even when the
    // retry below then succeeds; failures reach us as errors anyway, so its output is drained unread
    // and the CLI's stderr stays one line at most.
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume()
      stderr.resume()
    },
  })
  try {
    // Miniflare's binding types are its own copies of workers-types': the same interfaces.
    const d1 = (await mf.getD1Database('DB')) as unknown as D1Database
    const kv = (await mf.getKVNamespace('TOKENS')) as unknown as KVNamespace
    return { d1, kv, dispose: () => mf.dispose() }
  } catch (err) {
    await mf.dispose()
    throw err
  }
}
