/** D1 and KV bindings that record what the Worker asks of them, wrapped around the test's real ones. */
import { env } from 'cloudflare:workers'

export type D1Calls = { sql: Set<string>; batches: number[]; runs: number }

/**
 * A D1 that records the SQL of every prepared statement, the size of every batch, and how many
 * statements ran outside a batch. drizzle prepares a statement without parameters twice but runs
 * it once, so the SQL texts are kept as a set.
 */
export function recordingD1(): { DB: D1Database; calls: D1Calls } {
  const calls: D1Calls = { sql: new Set(), batches: [], runs: 0 }
  const record = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        if (prop === 'bind') return (...args: unknown[]) => record(value.apply(target, args))
        if (['first', 'all', 'run', 'raw'].includes(prop as string)) {
          return (...args: unknown[]) => {
            calls.runs++
            return value.apply(target, args)
          }
        }
        return value.bind(target)
      },
    })
    originals.set(proxy, stmt)
    return proxy
  }
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          calls.sql.add(sql)
          return record(target.prepare(sql))
        }
      }
      if (prop === 'batch') {
        // D1 wants its own statement objects back, not the recording proxies.
        return (stmts: D1PreparedStatement[]) => {
          calls.batches.push(stmts.length)
          return target.batch(stmts.map(unwrap))
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { DB, calls }
}

const originals = new WeakMap<object, D1PreparedStatement>()
const unwrap = (stmt: D1PreparedStatement) => originals.get(stmt) ?? stmt

/** A KV that records each call as `method key` (the key's prefix only: keys hold token digests). */
export function recordingKV(): { TOKENS: KVNamespace; calls: string[] } {
  const calls: string[] = []
  const TOKENS = new Proxy(env.TOKENS, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      return (key: unknown, ...rest: unknown[]) => {
        calls.push(`${String(prop)} ${String(key).split(':')[0]}:`)
        return value.call(target, key, ...rest)
      }
    },
  })
  return { TOKENS, calls }
}
