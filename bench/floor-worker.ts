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
  env.DB.prepare('select * from users where id = ?')
    .bind(Number(q.get('id')))
    .first()
const clientRow = (env: FloorEnv, q: URLSearchParams) =>
  env.DB.prepare('select * from applications where client_id = ?')
    .bind(q.get('client') ?? '')
    .first()

// The grant (token_families row) of the bench's access token, read and rotated in place: the
// same batch as a refresh's (src/oauth/store/families.ts), changing nothing.
const familyOf = async (env: FloorEnv, q: URLSearchParams) => ((await kvGet(env, q)) as { familyId: string }).familyId
const familyRow = (env: FloorEnv, id: string) => env.DB.prepare('select * from token_families where id = ?').bind(id)
const familyRotation = (env: FloorEnv, id: string) =>
  env.DB.prepare(
    'update token_families set expires_at = expires_at where id = ? and revoked_at is null and expires_at > ?',
  ).bind(id, Math.floor(Date.now() / 1000))
// The new refresh's batch finds the grant by its refresh token's digest: that of the bench token's
// grant, looked up once per isolate (not part of the floor).
let benchFamily: Promise<{ id: string; hash: string }> | undefined
const familyByToken = async (env: FloorEnv, q: URLSearchParams) => {
  const id = await familyOf(env, q)
  const row = await familyRow(env, id).first<{ refresh_hash: string }>()
  return { id, hash: row!.refresh_hash }
}
// The same three statements as src/store/families.ts's rotateFamilyForClient (its update
// conditional on the same things), rotating nothing: `set expires_at = expires_at`.
const oneBatch = (env: FloorEnv, client: string, hash: string) =>
  env.DB.batch([
    env.DB.prepare('select * from applications where client_id = ?').bind(client),
    env.DB.prepare(
      'select token_families.*, users.is_active, users.username from token_families left join users on users.id = token_families.user_id where (refresh_hash = ? or previous_refresh_hash = ?)',
    ).bind(hash, hash),
    // The registered resources the grant names (RFC 8707): none for the bench's grants, as for ours.
    env.DB.prepare(
      "select * from resources where instr(' ' || coalesce((select resources from token_families where refresh_hash = ? or previous_refresh_hash = ? limit 1), '') || ' ', ' ' || uri || ' ') > 0",
    ).bind(hash, hash),
    env.DB.prepare(
      `update token_families set expires_at = expires_at where refresh_hash = ? and application_id = (select id from applications where client_id = ? and client_type = 'confidential' and client_secret_hash is not null and authorization_grant_type in ('authorization-code', 'password')) and revoked_at is null and expires_at > ? and exists (select 1 from users where users.id = token_families.user_id and users.is_active = 1)`,
    ).bind(hash, client, Math.floor(Date.now() / 1000)),
  ])
const kvPut = (env: FloorEnv, prefix: string) => env.TOKENS.put(randomKey(prefix), '{"x":1}', TTL)

// One password hash, made on first use, for the verify floor.
let stored: Promise<string> | undefined

const FLOORS: Record<string, Floor> = {
  // The runtime and the HTTP stack alone.
  '/json': async () => null,
  '/kv-get': kvGet,
  '/d1-get': d1Get,
  // What a bearer-protected read needs: the token record, then the row.
  '/kv-get-d1-get': async (env, q) => [await kvGet(env, q), await d1Get(env, q)],
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
  // What our refresh does in storage, in its order (docs/performance.md): one D1 batch (the client's
  // row, the grant found by the token's digest, the conditional rotation), the old access token's
  // delete, the new pair, and the re-read of the grant for a concurrent revocation or retry.
  '/refresh-one-batch': async (env, q) => {
    benchFamily ??= familyByToken(env, q)
    const family = await benchFamily
    await oneBatch(env, q.get('client') ?? '', family.hash)
    await env.TOKENS.delete(randomKey('floor:d:'))
    await Promise.all([kvPut(env, 'floor:a:'), kvPut(env, 'floor:b:')])
    return familyRow(env, family.id).first()
  },
  // The design before (issue 14), for comparison: the client's row, the refresh record, one D1
  // batch that reads and rotates the grant, the old access token's delete, the new pair, the re-read.
  '/refresh-d1-rotation': async (env, q) => {
    await clientRow(env, q)
    const family = await familyOf(env, q)
    await env.DB.batch([familyRow(env, family), familyRotation(env, family)])
    await env.TOKENS.delete(randomKey('floor:d:'))
    await Promise.all([kvPut(env, 'floor:a:'), kvPut(env, 'floor:b:')])
    return familyRow(env, family).first()
  },
  // What the peer's refresh does in storage, in its order: the client and the grant (two KV
  // reads), then the grant and the new access token written back (two KV puts, one after the other).
  '/refresh-kv-only': async (env, q) => {
    await kvGet(env, q)
    await kvGet(env, q)
    await kvPut(env, 'floor:g:')
    await kvPut(env, 'floor:t:')
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
