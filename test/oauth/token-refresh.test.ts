// The refresh_token grant: rotation, single use, reuse detection, scope narrowing, binding to the client.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call } from '../helpers/http'
import { grant, passwordSetup, passwordToken, refresh } from '../helpers/grants'
import { createApplication } from '../helpers/seed'
import { storageSnapshot } from '../helpers/fuzz'
import { sha256Hex } from '../../src/crypto/token'

const usersStatus = async (token: string) => (await call('/users/', { token })).status

describe('refresh_token grant', () => {
  it('rotates: new tokens work, the old access and refresh tokens stop at once', async () => {
    const { app, tokens: first } = await grant('password')
    const second = await refresh(app, first.refresh_token)
    expect(second.status).toBe(200)
    expect(second.headers.get('cache-control')).toBe('no-store')
    expect(second.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read write groups',
    })
    expect(second.body.access_token).not.toBe(first.access_token)
    expect(second.body.refresh_token).not.toBe(first.refresh_token)
    expect(await usersStatus(first.access_token)).toBe(401)
    expect(await usersStatus(second.body.access_token)).toBe(200)
  })

  it('a reused refresh token is invalid_grant and revokes the whole family (RFC 9700 §4.14.2)', async () => {
    const { app, tokens: first } = await grant('password')
    const second = await refresh(app, first.refresh_token)
    const replay = await refresh(app, first.refresh_token)
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ error: 'invalid_grant' })
    expect(replay.headers.get('cache-control')).toBe('no-store')
    // The legitimate holder's current tokens die with it.
    expect(await usersStatus(second.body.access_token)).toBe(401)
    expect((await refresh(app, second.body.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it.each([
    ['in the one-batch path', {}],
    ['in the classic path (scope sent)', { scope: 'read' }],
  ])('a refresh token replayed three rotations later still revokes the grant, %s', async (_, extra) => {
    const { app, tokens: first } = await grant('password')
    let current = first
    for (let i = 0; i < 3; i++) current = (await refresh(app, current.refresh_token, extra)).body
    const replay = await refresh(app, first.refresh_token, extra)
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(current.access_token)).toBe(401)
    expect((await refresh(app, current.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('an old token replayed while the current one is being refreshed: whichever runs first, the grant ends revoked', async () => {
    const { app, tokens: first } = await grant('password')
    const current = (await refresh(app, first.refresh_token)).body
    const results = await Promise.all([
      refresh(app, current.refresh_token),
      ...Array.from({ length: 5 }, () => refresh(app, first.refresh_token)),
    ])
    expect(results.slice(1).map((r) => r.body)).toEqual(Array(5).fill({ error: 'invalid_grant' }))
    const won = results[0]!.status === 200 ? results[0]!.body : current
    expect(await usersStatus(won.access_token)).toBe(401)
    expect((await refresh(app, won.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('a rotated-out refresh token past its own expiry is only invalid_grant: the grant lives on', async () => {
    const { app, tokens: first } = await grant('password')
    const second = (await refresh(app, first.refresh_token)).body
    const retired = await env.DB.prepare(
      'update retired_refresh_tokens set expires_at = unixepoch() - 1 where hash = ?',
    )
      .bind(sha256Hex(first.refresh_token))
      .run()
    expect(retired.meta.changes).toBe(1)
    expect((await refresh(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(second.access_token)).toBe(200)
    expect((await refresh(app, second.refresh_token)).status).toBe(200)
  })

  it('of concurrent refreshes with one token, exactly one succeeds', async () => {
    const { app, tokens: first } = await grant('password')
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(app, first.refresh_token)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(19)
    // The race counts as reuse (RFC 9700 §4.14.2): the family is revoked, so even the winner's tokens are dead.
    expect(await usersStatus(ok[0]!.body.access_token)).toBe(401)
  })

  it('may narrow the scope, never widen it past the grant', async () => {
    const { app, tokens: first } = await grant('password', { scope: 'read write' })
    const narrowed = await refresh(app, first.refresh_token, { scope: 'read' })
    expect(narrowed).toMatchObject({ status: 200, body: { scope: 'read' } })
    const widened = await refresh(app, narrowed.body.refresh_token, { scope: 'read groups' })
    expect(widened.status).toBe(400)
    expect(widened.body).toEqual({ error: 'invalid_scope' })
    // Omitting the scope returns to everything originally granted (RFC 6749 §6).
    const restored = await refresh(app, narrowed.body.refresh_token)
    expect(restored).toMatchObject({ status: 200, body: { scope: 'read write' } })
  })

  it('an empty scope is treated as omitted', async () => {
    const { app, tokens: first } = await grant('password')
    expect(await refresh(app, first.refresh_token, { scope: '' })).toMatchObject({
      status: 200,
      body: { scope: 'read write groups' },
    })
  })

  it('a refresh token of another client is invalid_grant, and stays usable by its own client', async () => {
    const { app, tokens: first } = await grant('password')
    const other = await createApplication()
    const refused = await refresh(other, first.refresh_token)
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({ error: 'invalid_grant' })
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
  })

  // The rotation runs in the same D1 batch as the client's row: it must not move for a caller who
  // holds the refresh token but not the client's secret, nor for a client no longer allowed the grant.
  it('a live refresh token with a wrong client secret is invalid_client and rotates nothing', async () => {
    const { app, tokens: first } = await grant('password')
    const refused = await refresh({ ...app, clientSecret: 'not-the-secret' }, first.refresh_token)
    expect(refused.status).toBe(401)
    expect(refused.body).toEqual({ error: 'invalid_client' })
    expect(await usersStatus(first.access_token)).toBe(200)
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
  })

  it('a client switched to client_credentials behind the server’s back is unauthorized_client and rotates nothing', async () => {
    const { app, tokens: first } = await grant('password')
    const kind = (type: string) =>
      env.DB.prepare('update applications set authorization_grant_type = ? where client_id = ?')
        .bind(type, app.clientId)
        .run()
    await kind('client-credentials')
    const refused = await refresh(app, first.refresh_token)
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({ error: 'unauthorized_client' })
    await kind('password')
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
  })

  it.each([
    ['an unknown refresh token', { refresh_token: 'not-a-token' }, { error: 'invalid_grant' }],
    [
      'a missing refresh token',
      { refresh_token: '' },
      { error: 'invalid_request', error_description: 'Missing refresh token parameter.' },
    ],
  ])('%s', async (_, extra, body) => {
    const { app } = await grant('password')
    const res = await refresh(app, 'x', extra)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(body)
  })

  it('an expired refresh token is invalid_grant: its grant’s expiry in D1 decides', async () => {
    const { app, tokens: first } = await grant('password')
    await env.DB.prepare('update token_families set expires_at = unixepoch() - 1 where refresh_hash = ?')
      .bind(sha256Hex(first.refresh_token))
      .run()
    const res = await refresh(app, first.refresh_token)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_grant' })
  })
})

// Issue 9 §3: the grant ends with its user, even when D1 was changed by hand.
describe('refresh_token grant for a user deactivated or deleted behind the server’s back', () => {
  const familyOf = (accessToken: string) =>
    env.DB.prepare('select revoked_at from token_families where access_hash = ?')
      .bind(sha256Hex(accessToken))
      .first<{ revoked_at: number | null }>()
  const kvHas = async (prefix: 'access', token: string) =>
    (await env.TOKENS.get(`${prefix}:${sha256Hex(token)}`)) !== null
  const setActive = (id: number, active: boolean) =>
    env.DB.prepare('update users set is_active = ? where id = ?')
      .bind(active ? 1 : 0, id)
      .run()

  it('deactivated via SQL: invalid_grant, and the grant is revoked in D1 and KV for good', async () => {
    const { app, user, tokens: first } = await grant('password')
    await setActive(user.id, false)
    const res = await refresh(app, first.refresh_token)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_grant' })
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect((await familyOf(first.access_token))!.revoked_at).toEqual(expect.any(Number))
    expect(await kvHas('access', first.access_token)).toBe(false)
    // Reactivation does not bring back a grant that was refused while inactive.
    await setActive(user.id, true)
    expect(await usersStatus(first.access_token)).toBe(401)
    expect((await refresh(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('deleted via SQL: invalid_grant (the grant row went with the user), and the old access token is refused', async () => {
    const { app, user, tokens: first } = await grant('password')
    await env.DB.prepare('delete from users where id = ?').bind(user.id).run()
    const res = await refresh(app, first.refresh_token)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_grant' })
    expect(await familyOf(first.access_token)).toBeNull()
    expect(await usersStatus(first.access_token)).toBe(401)
  })

  it('of concurrent refreshes with a deactivated user’s token, all fail and the grant is revoked', async () => {
    const { app, user, tokens: first } = await grant('password')
    await setActive(user.id, false)
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(app, first.refresh_token)))
    expect(results.map((r) => [r.status, r.body])).toEqual(Array(20).fill([400, { error: 'invalid_grant' }]))
    expect((await familyOf(first.access_token))!.revoked_at).toEqual(expect.any(Number))
    expect(await kvHas('access', first.access_token)).toBe(false)
  })

  it('deactivated and reactivated before any refresh: the grant still works', async () => {
    const { app, user, tokens: first } = await grant('password')
    await setActive(user.id, false)
    await setActive(user.id, true)
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
  })
})

// The refresh's one D1 batch reads the grant's registered resources (RFC 8707) itself: the new
// access token is made as they ask, and a resource gone since the grant changes nothing.
describe('refresh_token grant and the grant’s resources', () => {
  /** A resource registered as the admin CLI does (plain SQL), its URI. */
  async function registerResource(tokenFormat: 'opaque' | 'jwt', lifetime: number | null = null) {
    const uri = `https://${sha256Hex(crypto.randomUUID()).slice(0, 12)}.example/mcp`
    await env.DB.prepare('insert into resources (uri, token_format, access_token_expire_seconds) values (?, ?, ?)')
      .bind(uri, tokenFormat, lifetime)
      .run()
    return uri
  }
  const claims = (jwt: string) => JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')))

  it('a grant for a JWT resource with its own lifetime refreshes to a JWT for it, with that lifetime', async () => {
    const uri = await registerResource('jwt', 600)
    const setup = await passwordSetup()
    const { app } = setup
    const first = (await passwordToken(setup, { resource: uri })).body
    const next = await refresh(app, first.refresh_token)
    expect(next.status).toBe(200)
    expect(next.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: expect.any(String),
      scope: 'read write groups',
    })
    expect(claims(next.body.access_token)).toMatchObject({ aud: [uri], scope: 'read write groups' })
    // Refreshed again: the grant still has its resource (the refresh record keeps the grant's).
    const again = await refresh(app, next.body.refresh_token)
    expect(claims(again.body.access_token).aud).toEqual([uri])
  })

  it('a grant whose resource was deleted is invalid_target, and the refusal changes nothing', async () => {
    const uri = await registerResource('opaque')
    const setup = await passwordSetup()
    const first = (await passwordToken(setup, { resource: uri })).body
    await env.DB.prepare('delete from resources where uri = ?').bind(uri).run()
    const before = await storageSnapshot()
    const res = await refresh(setup.app, first.refresh_token)
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_target', error_description: 'The resource is unknown or not allowed.' },
    })
    expect(await storageSnapshot()).toEqual(before)
    // The refresh token is still the grant's current one (not a used one, whose reuse would revoke
    // the grant): with the resource registered again, it refreshes as before.
    await env.DB.prepare("insert into resources (uri, token_format) values (?, 'opaque')").bind(uri).run()
    const again = await refresh(setup.app, first.refresh_token)
    expect(again.status).toBe(200)
  })
})

describe('refresh_token grant and a self-registered client', () => {
  it('a refresh in the one D1 batch notes the client’s use, as every other client authentication does', async () => {
    const old = Math.floor(Date.now() / 1000) - 40 * 86_400
    const { app, tokens: first } = await grant('password', { app: { registration: 'dynamic', lastUsedAt: old } })
    await env.DB.prepare('update applications set last_used_at = ? where id = ?').bind(old, app.id).run()
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
    const row = await env.DB.prepare('select last_used_at from applications where id = ?')
      .bind(app.id)
      .first<{ last_used_at: number }>()
    // The unused-client cleanup (UNUSED_CLIENT_DAYS) reads this: a client that refreshes is in use.
    expect(row!.last_used_at).toBeGreaterThan(old + 39 * 86_400)
  })
})
