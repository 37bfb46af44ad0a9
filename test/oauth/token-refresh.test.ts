// The refresh_token grant: rotation, single use, reuse detection, scope narrowing, binding to the client.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { passwordSetup, passwordToken, refresh } from '../helpers/password-flow'
import { createApplication } from '../helpers/seed'
import { sha256Hex } from '../../src/crypto/token'

const usersStatus = async (token: string) => (await call('/users/', { token })).status

async function freshTokens(extra: Record<string, string> = {}) {
  const setup = await passwordSetup()
  const first = await passwordToken(setup, extra)
  expect(first.status).toBe(200)
  return { ...setup, first: first.body as { access_token: string; refresh_token: string } }
}

describe('refresh_token grant', () => {
  it('rotates: new tokens work, the old access and refresh tokens stop at once', async () => {
    const { app, first } = await freshTokens()
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
    const { app, first } = await freshTokens()
    const second = await refresh(app, first.refresh_token)
    const replay = await refresh(app, first.refresh_token)
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ error: 'invalid_grant' })
    expect(replay.headers.get('cache-control')).toBe('no-store')
    // The legitimate holder's current tokens die with it.
    expect(await usersStatus(second.body.access_token)).toBe(401)
    expect((await refresh(app, second.body.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('of concurrent refreshes with one token, exactly one succeeds', async () => {
    const { app, first } = await freshTokens()
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(app, first.refresh_token)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(19)
    // The race counts as reuse (RFC 9700 §4.14.2): the family is revoked, so even the winner's tokens are dead.
    expect(await usersStatus(ok[0]!.body.access_token)).toBe(401)
  })

  it('may narrow the scope, never widen it past the grant', async () => {
    const { app, first } = await freshTokens({ scope: 'read write' })
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
    const { app, first } = await freshTokens()
    expect(await refresh(app, first.refresh_token, { scope: '' })).toMatchObject({
      status: 200,
      body: { scope: 'read write groups' },
    })
  })

  it('a refresh token of another client is invalid_grant, and stays usable by its own client', async () => {
    const { app, first } = await freshTokens()
    const other = await createApplication()
    const refused = await refresh(other, first.refresh_token)
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({ error: 'invalid_grant' })
    expect((await refresh(app, first.refresh_token)).status).toBe(200)
  })

  it.each([
    ['an unknown refresh token', { refresh_token: 'not-a-token' }, { error: 'invalid_grant' }],
    ['a missing refresh token', { refresh_token: '' }, { error: 'invalid_request', error_description: 'Missing refresh token parameter.' }],
  ])('%s', async (_, extra, body) => {
    const { app } = await freshTokens()
    const res = await refresh(app, 'x', extra)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(body)
  })

  it('an expired refresh token is invalid_grant', async () => {
    const { app, first } = await freshTokens()
    const key = `refresh:${sha256Hex(first.refresh_token)}`
    const record = JSON.parse((await env.TOKENS.get(key))!)
    await env.TOKENS.put(key, JSON.stringify({ ...record, exp: record.iat - 1 }))
    const res = await refresh(app, first.refresh_token)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_grant' })
  })

  it('the family expiry in D1 is enforced even if the KV record lives on', async () => {
    const { app, first } = await freshTokens()
    await env.DB.prepare('update token_families set expires_at = unixepoch() - 1').run()
    const res = await refresh(app, first.refresh_token)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_grant' })
  })
})
