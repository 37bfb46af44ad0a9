/** Bindings that fail on purpose, wrapped around the test's real D1 and KV. */
import { env } from 'cloudflare:workers'
import { app } from '../../src'
import { ORIGIN } from './http'

const BROKEN = Symbol('broken statement')

/** A D1 whose statements matching `failing` reject (or never settle, with `hang`); others run normally. */
export function faultyD1(failing: RegExp, mode: 'reject' | 'hang' = 'reject'): D1Database {
  const fail = () =>
    mode === 'hang' ? new Promise<never>(() => {}) : Promise.reject(new Error('D1_ERROR: injected fault'))
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          const stmt = target.prepare(sql)
          if (!failing.test(sql)) return stmt
          const broken = { [BROKEN]: true, bind: () => broken, first: fail, all: fail, run: fail, raw: fail }
          return broken
        }
      }
      if (prop === 'batch') {
        return (stmts: D1PreparedStatement[]) => (stmts.some((s) => BROKEN in s) ? fail() : target.batch(stmts))
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A KV whose listed operations reject. */
export function faultyKV(failing: Array<'get' | 'put' | 'delete' | 'list'>): KVNamespace {
  return new Proxy(env.TOKENS, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (failing.includes(prop as never)) return () => Promise.reject(new Error('KV: injected fault'))
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Sends a request to the app with some bindings replaced. */
export function callWith(bindings: Partial<Env>, path: string, init: RequestInit = {}) {
  return app.request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }, { ...env, ...bindings })
}
