/**
 * @module Storage faults become one error. The D1 and KV bindings are wrapped so that any call
 * that rejects, or takes longer than STORAGE_TIMEOUT_MS, throws StorageUnavailable, which the
 * error handler answers with 503 (`temporarily_unavailable` on OAuth endpoints, `{"detail"}` on
 * the API). Without this, a failing binding would be indistinguishable from a bug (500).
 */
import { StorageUnavailable } from '../errors'

/** How long one D1 query or KV operation may take before the request gives up on it. */
const STORAGE_TIMEOUT_MS = 5_000

const targets = new WeakMap<object, object>()
// One proxy per binding, so a request's guarded DB is the same object as the last one's and the
// drizzle client made for it (src/db/client.ts) is reused.
const proxies = new WeakMap<object, object>()

/** A storage error, unless it is a constraint violation: that is the caller's logic, not an outage. */
const asUnavailable = (err: unknown) =>
  err instanceof Error && /constraint failed/i.test(err.message) ? err : new StorageUnavailable(err)

/**
 * `promise`, or StorageUnavailable once it rejects or outlives STORAGE_TIMEOUT_MS. One promise and
 * one timer per call (not Promise.race, .catch and .finally, three more promises): the bench's
 * profile had the guard's timers and promise chain at ~6% of a refresh.
 */
function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StorageUnavailable(new Error('storage operation timed out'))),
      STORAGE_TIMEOUT_MS,
    )
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(asUnavailable(err))
      },
    )
  })
}

/** Unwraps guarded objects passed back in (D1's `batch([...statements])` wants the real ones). */
const unwrap = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(unwrap)
    : (value !== null && typeof value === 'object' && targets.get(value)) || value

/** Wraps a binding (and the statements it returns) so that every failure is StorageUnavailable. */
export function guardStorage<T extends object>(binding: T): T {
  const known = proxies.get(binding)
  if (known) return known as T
  const proxy = new Proxy(binding, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        let result: unknown
        try {
          result = value.apply(target, args.map(unwrap))
        } catch (err) {
          throw new StorageUnavailable(err)
        }
        if (result instanceof Promise) return withTimeout(result)
        return result !== null && typeof result === 'object' ? guardStorage(result) : result
      }
    },
  })
  targets.set(proxy, binding)
  proxies.set(binding, proxy)
  return proxy
}

const guardedEnvs = new WeakMap<object, object>()

/**
 * The Worker's env with its D1 and KV bindings guarded, made once per env object (workerd hands
 * every request of an isolate the same one), so a request neither copies the env nor misses the
 * settings read from it (src/config.ts) or the drizzle client made for its D1 (src/db/client.ts).
 */
export function guardedEnv<E extends { DB: D1Database; TOKENS: KVNamespace }>(env: E): E {
  let guarded = guardedEnvs.get(env) as E | undefined
  if (!guarded) {
    guarded = { ...env, DB: guardStorage(env.DB), TOKENS: guardStorage(env.TOKENS) }
    guardedEnvs.set(env, guarded)
  }
  return guarded
}
