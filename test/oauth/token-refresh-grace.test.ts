// The optional retry grace window (REFRESH_TOKEN_GRACE_SECONDS): a client whose network dropped the
// answer to a refresh retries with the same refresh token and gets a fresh pair instead of having
// its grant revoked; after the window, the same retry is reuse (RFC 9700 §4.14.2).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/token'
import { callWith } from '../helpers/faults'
import { call, read } from '../helpers/http'
import { grant, passwordSetup, passwordToken, refresh } from '../helpers/grants'
import { createApplication, type TestApp } from '../helpers/seed'

const GRACE = { REFRESH_TOKEN_GRACE_SECONDS: '30' }
const usersStatus = async (token: string) => (await call('/users/', { token })).status

/** A refresh with the grace window switched on. */
async function refreshInGrace(app: TestApp, refreshToken: string) {
  const form = {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: app.clientId,
    // A public client sends its client_id alone.
    ...(app.clientSecret !== null && { client_secret: app.clientSecret }),
  }
  const res = await callWith(GRACE, '/o/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  return read(res)
}

/** Tokens, then one refresh whose answer the client is taken to have lost. */
async function lostAnswer() {
  const { app, tokens: first } = await grant('password')
  const lost = await refreshInGrace(app, first.refresh_token)
  expect(lost.status).toBe(200)
  return { app, first, lost: lost.body as { access_token: string; refresh_token: string } }
}

describe('refresh retry grace window', () => {
  it('a retry within the window gets a fresh pair; the lost answer’s tokens end and the grant stays', async () => {
    const { app, first, lost } = await lostAnswer()
    const retry = await refreshInGrace(app, first.refresh_token)
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read write groups',
    })
    expect([retry.body.access_token, retry.body.refresh_token]).not.toContain(lost.access_token)
    expect(retry.body.refresh_token).not.toBe(lost.refresh_token)
    expect(await usersStatus(lost.access_token)).toBe(401)
    expect(await usersStatus(first.access_token)).toBe(401)
    expect(await usersStatus(retry.body.access_token)).toBe(200)
    // The grant lives on: the retry's refresh token rotates as usual.
    const next = await refreshInGrace(app, retry.body.refresh_token)
    expect(next.status).toBe(200)
    expect(await usersStatus(next.body.access_token)).toBe(200)
  })

  it('after the window the same retry is reuse: invalid_grant, and the grant is revoked', async () => {
    const { app, first, lost } = await lostAnswer()
    await env.DB.prepare('update token_families set rotated_at = rotated_at - 31 where refresh_hash = ?')
      .bind(sha256Hex(lost.refresh_token))
      .run()
    const retry = await refreshInGrace(app, first.refresh_token)
    expect(retry.status).toBe(400)
    expect(retry.body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(lost.access_token)).toBe(401)
    expect((await refreshInGrace(app, lost.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('is off by default: the same retry revokes the grant', async () => {
    const { app, first, lost } = await lostAnswer()
    expect((await refresh(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(lost.access_token)).toBe(401)
    expect((await refreshInGrace(app, lost.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('the lost answer’s refresh token, used after a retry, is reuse and revokes the grant', async () => {
    const { app, first, lost } = await lostAnswer()
    const retry = await refreshInGrace(app, first.refresh_token)
    expect(retry.status).toBe(200)
    expect((await refreshInGrace(app, lost.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(retry.body.access_token)).toBe(401)
    expect((await refreshInGrace(app, retry.body.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('only the rotated-out token gets the grace: an older one is reuse', async () => {
    const { app, first, lost } = await lostAnswer()
    const third = await refreshInGrace(app, lost.refresh_token)
    expect(third.status).toBe(200)
    expect((await refreshInGrace(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(third.body.access_token)).toBe(401)
  })

  it('of concurrent retries within the window, one pair stays valid and the grant is not revoked', async () => {
    const { app, first, lost } = await lostAnswer()
    const results = await Promise.all(Array.from({ length: 12 }, () => refreshInGrace(app, first.refresh_token)))
    // Each retry rotates in turn; each answered pair but the last is withdrawn (its access token
    // deleted, its refresh token no longer current), so exactly one works afterwards.
    expect(results.every((r) => r.status === 200)).toBe(true)
    const statuses = await Promise.all(results.map((r) => usersStatus(r.body.access_token)))
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 401)).toHaveLength(11)
    expect(await usersStatus(lost.access_token)).toBe(401)
    const live = results[statuses.indexOf(200)]!
    const next = await refreshInGrace(app, live.body.refresh_token)
    expect(next.status).toBe(200)
    expect(await usersStatus(next.body.access_token)).toBe(200)
  })
})

// Attacker review: the window loosens single use for the token's own client only, for a live grant only.
describe('refresh retry grace window against a stolen token', () => {
  it.each(['confidential', 'public'] as const)(
    'another (%s) client retrying the rotated-out token within the window: invalid_grant; nothing rotates or ends',
    async (clientType) => {
      const { app, first, lost } = await lostAnswer()
      const other = await createApplication({ clientType })
      expect((await refreshInGrace(other, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
      expect(await usersStatus(lost.access_token)).toBe(200)
      // The grant is untouched: its own client's retry still gets the window.
      const retry = await refreshInGrace(app, first.refresh_token)
      expect(retry.status).toBe(200)
      expect(await usersStatus(retry.body.access_token)).toBe(200)
    },
  )

  it('after the client revoked the grant (RFC 7009), a retry within the window gets nothing', async () => {
    const { app, first, lost } = await lostAnswer()
    const revoked = await call('/o/revoke_token/', {
      basic: [app.clientId, app.clientSecret!],
      form: { token: lost.refresh_token },
    })
    expect(revoked.status).toBe(200)
    expect((await refreshInGrace(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await usersStatus(lost.access_token)).toBe(401)
  })

  it('after the user was deactivated (plain SQL), a retry within the window gets nothing and ends the grant', async () => {
    const { app, first, lost } = await lostAnswer()
    const family = sha256Hex(lost.refresh_token)
    await env.DB.prepare(
      'update users set is_active = 0 where id = (select user_id from token_families where refresh_hash = ?)',
    )
      .bind(family)
      .run()
    expect((await refreshInGrace(app, first.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    const row = await env.DB.prepare('select revoked_at from token_families where refresh_hash = ?')
      .bind(family)
      .first<{ revoked_at: number | null }>()
    expect(row?.revoked_at).toEqual(expect.any(Number))
  })
})

describe('refresh retry grace window and resources (RFC 8707)', () => {
  it('a retry of a grant for a JWT resource gets a JWT for the same audience as the lost answer', async () => {
    const uri = `https://${sha256Hex(crypto.randomUUID()).slice(0, 12)}.example/mcp`
    await env.DB.prepare("insert into resources (uri, token_format) values (?, 'jwt')").bind(uri).run()
    const setup = await passwordSetup()
    const first = (await passwordToken(setup, { resource: uri })).body
    const lost = await refreshInGrace(setup.app, first.refresh_token)
    const retry = await refreshInGrace(setup.app, first.refresh_token)
    expect([lost.status, retry.status]).toEqual([200, 200])
    const claims = (jwt: string) => JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')))
    expect(claims(retry.body.access_token).aud).toEqual([uri])
    expect(claims(retry.body.access_token).aud).toEqual(claims(lost.body.access_token).aud)
    expect(retry.body.expires_in).toBe(lost.body.expires_in)
  })
})
