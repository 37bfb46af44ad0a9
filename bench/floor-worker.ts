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

// The grant (token_families row) of the bench's access token, read and rotated in place by the
// refresh floor's batch (src/store/families.ts's rotateFamilyForClient), changing nothing.
const familyOf = async (env: FloorEnv, q: URLSearchParams) => ((await kvGet(env, q)) as { familyId: string }).familyId
// The refresh's batch finds the grant by its refresh token's digest: that of the bench token's
// grant, looked up once per isolate (not part of the floor).
let benchFamily: Promise<string> | undefined
const refreshHashOf = async (env: FloorEnv, q: URLSearchParams) => {
  const row = await env.DB.prepare('select refresh_hash from token_families where id = ?')
    .bind(await familyOf(env, q))
    .first<{ refresh_hash: string }>()
  return row!.refresh_hash
}
// The family of a refresh token this server issued: its current one, or one it rotated out.
const ISSUED =
  '(token_families.refresh_hash = ?1 or token_families.id in (select family_id from retired_refresh_tokens where hash = ?1 and expires_at > ?2))'
// The rotation's conditions (rotationWhere), with the claimed client's credential.
const ROTATABLE = `refresh_hash = ?1 and application_id = (select id from applications where client_id = ?3 and client_type = 'confidential' and client_secret_hash is not null and authorization_grant_type in ('authorization-code', 'password')) and revoked_at is null and expires_at > ?2 and exists (select 1 from users where users.id = token_families.user_id and users.is_active = 1)`
// The same five statements as the refresh's batch, rotating nothing (`set expires_at =
// expires_at`), but retiring a new random digest each time, as each real rotation retires one.
const oneBatch = (env: FloorEnv, client: string, hash: string) => {
  const now = Math.floor(Date.now() / 1000)
  return env.DB.batch([
    env.DB.prepare('select * from applications where client_id = ?').bind(client),
    env.DB.prepare(
      `select token_families.*, users.is_active, users.username from token_families left join users on users.id = token_families.user_id where ${ISSUED}`,
    ).bind(hash, now),
    // The registered resources the grant names (RFC 8707): none for the bench's grants, as for ours.
    env.DB.prepare(
      `select * from resources where instr(' ' || coalesce((select resources from token_families where ${ISSUED} limit 1), '') || ' ', ' ' || uri || ' ') > 0`,
    ).bind(hash, now),
    env.DB.prepare(
      `insert into retired_refresh_tokens (hash, family_id, expires_at) select ?4, id, expires_at from token_families where ${ROTATABLE} on conflict do nothing`,
    ).bind(hash, now, client, crypto.randomUUID()),
    env.DB.prepare(`update token_families set expires_at = expires_at where ${ROTATABLE}`).bind(hash, now, client),
  ])
}
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
  // row, the grant found by the token's digest, its registered resources, the retired token and the
  // conditional rotation), then the new access token's record.
  '/refresh-one-batch': async (env, q) => {
    benchFamily ??= refreshHashOf(env, q)
    await oneBatch(env, q.get('client') ?? '', await benchFamily)
    await kvPut(env, 'floor:a:')
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
