/**
 * A user's JWT access token (RFC 9068) at the built-in API is read from its claims alone, no KV
 * record (issue 14): the statement that checks its user also checks that the grant it names
 * (`grant_id`) still has it as its current access token. So everything that revokes or replaces
 * it is seen at once, through D1: the revocation endpoint, a refresh, revoke-all, and changes made
 * behind the server's back with plain SQL. And nothing but our key, our issuer and the grant's
 * current digest makes a JWT good.
 */
import { env } from 'cloudflare:workers'
import { decodeJwt, generateKeyPair, SignJWT } from 'jose'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { BearerRefused, bearerAuth } from '../../src/auth/bearer'
import type { AppEnv } from '../../src/env'
import { signingKeys } from '../../src/oidc/keys'
import { tokenDepsFor } from '../../src/tokens/deps'
import { revokeAll } from '../../src/tokens/revoke-all'
import { callWith } from '../helpers/faults'
import { apiJwtGrant, clientAuth, grant, passwordToken, refresh } from '../helpers/grants'
import { call, ORIGIN, RESOURCE_METADATA, read } from '../helpers/http'
import { createResource, db, unique } from '../helpers/seed'

const INVALID = `Bearer realm="api", error="invalid_token", error_description="The access token is invalid.", ${RESOURCE_METADATA}`

/** The API's answer to a token it no longer takes: 401 invalid_token, DRF's detail. */
async function expectRefused(res: Response, description = 'The access token is invalid.') {
  const { status, headers, body } = await read(res)
  expect({ status, challenge: headers.get('www-authenticate'), body }).toEqual({
    status: 401,
    challenge: INVALID.replace('The access token is invalid.', description),
    body: { detail: 'Authentication credentials were not provided.' },
  })
}

const userRead = (pk: number, token: string) => call(`/users/${pk}/`, { token })

/** The token's claims signed again, changed by `change`, with `key` (ours unless given) and `kid`. */
async function resigned(token: string, change: Record<string, unknown> = {}, key?: CryptoKey) {
  const ours = await signingKeys(env)
  return new SignJWT({ ...decodeJwt(token), ...change })
    .setProtectedHeader({ alg: 'RS256', kid: ours.kid, typ: 'at+jwt' })
    .sign(key ?? ours.key)
}

describe('a user’s JWT access token at the built-in API', () => {
  it('is taken on its claims and its grant: GET /users/<pk>/ answers the user', async () => {
    const { user, token } = await apiJwtGrant()
    const res = await read(await userRead(user.id, token))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ username: user.username })
  })

  it('is refused at once once revoked at /o/revoke_token/', async () => {
    const { app, user, token } = await apiJwtGrant()
    expect((await call('/o/revoke_token/', clientAuth(app, { token }))).status).toBe(200)
    await expectRefused(await userRead(user.id, token))
  })

  it('is refused at once after a refresh (the old one); the new one is taken', async () => {
    const { app, user, token, tokens } = await apiJwtGrant()
    const next = await refresh(app, tokens.refresh_token)
    expect(next.status).toBe(200)
    expect((next.body.access_token as string).split('.')).toHaveLength(3)
    await expectRefused(await userRead(user.id, token))
    expect((await userRead(user.id, next.body.access_token)).status).toBe(200)
  })

  it('is refused at once after revoke-all of its user (the token service, as the admin site and CLI call it)', async () => {
    const { user, token } = await apiJwtGrant()
    expect(await revokeAll(tokenDepsFor(env, db()), { userId: user.id })).toEqual({ revoked: 1 })
    await expectRefused(await userRead(user.id, token))
  })

  it('is refused at once after a reuse of its rotated-out refresh token revokes the grant', async () => {
    const { app, user, tokens } = await apiJwtGrant()
    const next = await refresh(app, tokens.refresh_token)
    expect((await userRead(user.id, next.body.access_token)).status).toBe(200)
    expect((await refresh(app, tokens.refresh_token)).status).toBe(400)
    await expectRefused(await userRead(user.id, next.body.access_token))
  })

  it.each([
    ['its grant revoked', 'update token_families set revoked_at = 1 where user_id = ?'],
    ['its grant deleted', 'delete from token_families where user_id = ?'],
    ['its grant moved on to another access token', "update token_families set access_hash = 'x' where user_id = ?"],
    ['its user deactivated', 'update users set is_active = 0 where id = ?'],
    ['its user deleted', 'delete from users where id = ?'],
  ])('is refused at once after %s by plain SQL', async (_, statement) => {
    const { user, token } = await apiJwtGrant()
    expect((await userRead(user.id, token)).status).toBe(200)
    await env.DB.prepare(statement).bind(user.id).run()
    await expectRefused(await userRead(user.id, token))
  })

  it.each([
    ['GET /users/', '/users/', 'GET', 200],
    ['GET /groups/', '/groups/', 'GET', 200],
    ['HEAD /users/<pk>/', '/users/<pk>/', 'HEAD', 200],
    ['POST /users/', '/users/', 'POST', 201],
    ['OPTIONS /users/', '/users/', 'OPTIONS', 200],
    ['PUT /users/<pk>/ (405)', '/users/<pk>/', 'PUT', 405],
  ])('%s checks the grant as well: its answer before, 401 once the grant is revoked', async (_, path, method, ok) => {
    const { user, token } = await apiJwtGrant({ scope: 'read write groups' })
    const send = () =>
      call(path.replace('<pk>', String(user.id)), {
        method,
        token,
        ...(method === 'POST' && { json: { username: unique('made') } }),
      })
    expect((await send()).status).toBe(ok)
    await env.DB.prepare('update token_families set revoked_at = 1 where user_id = ?').bind(user.id).run()
    const res = await send()
    if (method === 'HEAD') expect(res.status).toBe(401)
    else await expectRefused(res)
  })

  it('revoked and short of the scope: 401 invalid_token, as a revoked opaque token, not 403', async () => {
    const { user, token } = await apiJwtGrant({ scope: 'read' })
    const create = () => call('/users/', { method: 'POST', token, json: { username: unique('made') } })
    expect((await create()).status).toBe(403)
    await env.DB.prepare('update token_families set revoked_at = 1 where user_id = ?').bind(user.id).run()
    await expectRefused(await create())
  })

  it('a route that forgets its user check answers 401 invalid_token, never its success', async () => {
    const { token } = await apiJwtGrant()
    const forgetful = new Hono<AppEnv>()
    forgetful.onError((err, c) =>
      err instanceof BearerRefused ? c.json({ code: err.refusal.code }, err.status) : c.json({ err: `${err}` }, 500),
    )
    forgetful.get('/x/', bearerAuth({ grantInD1: true }), (c) => c.json({ ok: true }))
    const res = await forgetful.request(`${ORIGIN}/x/`, { headers: { Authorization: `Bearer ${token}` } }, env)
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 401, body: { code: 'invalid_token' } })
  })

  it('is refused when signed with another key under our kid', async () => {
    const { user, token } = await apiJwtGrant()
    const { privateKey } = await generateKeyPair('RS256')
    await expectRefused(await userRead(user.id, await resigned(token, {}, privateKey)))
  })

  it('is refused when its claims name another grant, another user or another issuer (signed with our key)', async () => {
    const first = await apiJwtGrant()
    // A second live grant of the same user and client: its grant_id is no use to the first token.
    const second = await passwordToken(first, { resource: first.resource })
    const otherGrant = decodeJwt(second.body.access_token).grant_id
    expect(typeof otherGrant).toBe('string')
    const stranger = await apiJwtGrant()
    // The claims as issued, signed again: taken (so what follows is refused for its change alone).
    expect((await userRead(first.user.id, await resigned(first.token))).status).toBe(200)
    await expectRefused(await userRead(first.user.id, await resigned(first.token, { grant_id: otherGrant })))
    await expectRefused(await userRead(first.user.id, await resigned(first.token, { sub: String(stranger.user.id) })))
    await expectRefused(await userRead(first.user.id, await resigned(first.token, { iss: 'https://other.example' })))
  })

  it('is 401 invalid_token, not a 500, when this deployment has no signing keys', async () => {
    const { user, token } = await apiJwtGrant()
    const res = await callWith({ OIDC_PRIVATE_KEYS: '' } as Partial<Env>, `/users/${user.id}/`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    await expectRefused(res)
  })

  it('is refused as expired past its exp', async () => {
    const { user, token } = await apiJwtGrant()
    const past = Math.floor(Date.now() / 1000) - 10
    const expired = await resigned(token, { exp: past, iat: past - 60 })
    await expectRefused(await userRead(user.id, expired), 'The access token has expired.')
  })

  it('is refused when it is for another resource only', async () => {
    const uri = await createResource({ uri: `https://${unique('jwt').toLowerCase()}.example/`, tokenFormat: 'jwt' })
    const { app, user } = await apiJwtGrant()
    const other = await passwordToken({ app, user }, { resource: uri })
    expect((other.body.access_token as string).split('.')).toHaveLength(3)
    await expectRefused(await userRead(user.id, other.body.access_token), 'The access token is for another resource.')
  })

  it('a client’s own JWT (client_credentials, no grant) is still read from its record: 403 at a user’s route', async () => {
    const uri = await createResource({ uri: `https://${unique('jwt').toLowerCase()}.example/`, tokenFormat: 'jwt' })
    const { app } = await apiJwtGrant()
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' })
    for (const r of [uri, `${ORIGIN}/`]) form.append('resource', r)
    await env.DB.prepare("update applications set authorization_grant_type = 'client-credentials' where id = ?")
      .bind(app.id)
      .run()
    const cc = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: form.toString() }))
    expect(cc.status).toBe(200)
    expect(decodeJwt(cc.body.access_token).grant_id).toBeUndefined()
    expect((await call('/users/', { token: cc.body.access_token })).status).toBe(403)
  })
})

describe('a user’s opaque access token at the built-in API: D1, not its KV record, has the last word', () => {
  it.each([
    ['its grant revoked', 'update token_families set revoked_at = 1 where user_id = ?'],
    ['its grant deleted', 'delete from token_families where user_id = ?'],
    ['its grant moved on to another access token', "update token_families set access_hash = 'x' where user_id = ?"],
  ])('is refused at once after %s by plain SQL, its KV record untouched', async (_, statement) => {
    const { user, token } = await grant('password', { scope: 'read groups' })
    expect(token.split('.')).toHaveLength(1)
    for (const path of [`/users/${user!.id}/`, '/users/', '/groups/']) {
      expect([path, (await call(path, { token })).status]).toEqual([path, 200])
    }
    await env.DB.prepare(statement).bind(user!.id).run()
    for (const path of [`/users/${user!.id}/`, '/users/', '/groups/']) await expectRefused(await call(path, { token }))
  })

  it('revoked by plain SQL and short of the scope: 401 invalid_token, not 403', async () => {
    const { user, token } = await grant('password', { scope: 'read' })
    const create = () => call('/users/', { method: 'POST', token, json: { username: unique('made') } })
    expect((await create()).status).toBe(403)
    await env.DB.prepare('update token_families set revoked_at = 1 where user_id = ?').bind(user!.id).run()
    await expectRefused(await create())
  })
})
