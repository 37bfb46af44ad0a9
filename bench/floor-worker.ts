/**
 * @module Bench only, never routed in production: the storage floors. Each route does only the
 * storage work an endpoint cannot avoid, on the same D1 and KV bindings as the app, in the same
 * runtime, so `npm run bench` can state each endpoint's throughput as a ratio to its floor.
 * Keys and ids come in the query string (`k`: a KV key, `id`: a users primary key, `client`: a
 * client_id), so each floor reads the same records the matching scenario reads.
 */
import { hashPassword, verifyPassword } from '../src/crypto/password'

type FloorEnv = { DB: D1Database; TOKENS: KVNamespace }
type Floor = (env: FloorEnv, q: URLSearchParams) => Promise<unknown>

const TTL = { expirationTtl: 3600 }
const randomKey = (prefix: string) => `${prefix}${crypto.randomUUID()}`

const kvGet = (env: FloorEnv, q: URLSearchParams) => env.TOKENS.get(q.get('k') ?? '', 'json')
const d1Get = (env: FloorEnv, q: URLSearchParams) =>
  env.DB.prepare('select * from users where id = ?').bind(Number(q.get('id'))).first()
const clientRow = (env: FloorEnv, q: URLSearchParams) =>
  env.DB.prepare('select * from applications where client_id = ?').bind(q.get('client') ?? '').first()

// One password hash, made on first use, for the verify floor.
let stored: Promise<string> | undefined

const FLOORS: Record<string, Floor> = {
  // The runtime and the HTTP stack alone.
  '/json': async () => null,
  '/kv-get': kvGet,
  '/d1-get': d1Get,
  // What a bearer-protected read needs: the token record, then the row.
  '/kv-get-d1-get': async (env, q) => [await kvGet(env, q), await d1Get(env, q)],
  // What storing a token pair needs: two puts side by side.
  '/kv-put-2': (env) =>
    Promise.all([env.TOKENS.put(randomKey('floor:a:'), '{"x":1}', TTL), env.TOKENS.put(randomKey('floor:b:'), '{"x":1}', TTL)]),
  // What client_credentials needs: the client's row, then one token record.
  '/d1-get-kv-put': async (env, q) => {
    await clientRow(env, q)
    await env.TOKENS.put(randomKey('floor:c:'), '{"x":1}', TTL)
  },
  // What introspection needs: the caller's client row, the token record, then its grant's row.
  '/d1-get-kv-get-d1-get': async (env, q) => {
    await clientRow(env, q)
    return [await kvGet(env, q), await d1Get(env, q)]
  },
  // One password verification: the share of the password grant that is hashing.
  '/verify-password': async () => {
    stored ??= hashPassword('bench password')
    return verifyPassword('bench password', await stored)
  },
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url)
    const floor = FLOORS[url.pathname]
    if (!floor) return Response.json({ detail: 'Not found.' }, { status: 404 })
    return Response.json({ ok: true, result: (await floor(env, url.searchParams)) !== undefined })
  },
} satisfies ExportedHandler<FloorEnv>
