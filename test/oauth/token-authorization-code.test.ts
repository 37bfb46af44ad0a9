// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.6), on codes written straight to D1.
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { issueCode } from '../helpers/codes'
import { createApplication, createUser, type TestApp } from '../helpers/seed'
import { s256Challenge } from '../../src/oauth/pkce'

const REDIRECT = 'http://127.0.0.1:8009/cb'
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'

async function setup(clientType: 'confidential' | 'public' = 'confidential') {
  const app = await createApplication({ authorizationGrantType: 'authorization-code', clientType, redirectUris: REDIRECT })
  const user = await createUser()
  return { app, user }
}

function exchange(app: TestApp, code: string, extra: Record<string, string> = {}) {
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra }
  return app.clientSecret
    ? call('/o/token/', { basic: [app.clientId, app.clientSecret], form }).then(read)
    : call('/o/token/', { form: { ...form, client_id: app.clientId } }).then(read)
}

describe('authorization_code exchange', () => {
  it('exchanges a code once for tokens that work like any others', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const res = await exchange(app, code)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read write',
    })
    expect((await call(`/users/${user.id}/`, { token: res.body.access_token })).status).toBe(200)
  })

  it('a replayed code is invalid_grant and revokes what it issued (RFC 6749 §4.1.2)', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const first = await exchange(app, code)
    expect(first.status).toBe(200)
    expect(await exchange(app, code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect((await call('/users/', { token: first.body.access_token })).status).toBe(401)
    const refreshed = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      }),
    )
    expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('of 20 concurrent exchanges of one code, exactly one gets a token', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const results = await Promise.all(Array.from({ length: 20 }, () => exchange(app, code)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(results.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(19)
    // The other 19 are replays: whatever the interleaving, the tokens the code gave are revoked.
    expect((await call('/users/', { token: ok[0]!.body.access_token })).status).toBe(401)
  })

  it.each([
    ['a different redirect_uri', { redirect_uri: 'http://127.0.0.1:8009/other' }, { error: 'invalid_grant', error_description: 'Mismatching redirect URI.' }],
    ['no redirect_uri though authorize had one', { redirect_uri: '' }, { error: 'invalid_grant', error_description: 'Mismatching redirect URI.' }],
    ['an unknown code', { code: 'not-a-code' }, { error: 'invalid_grant' }],
    ['a missing code', { code: '' }, { error: 'invalid_request', error_description: 'Missing code parameter.' }],
  ])('%s → 400, and the code is burnt', async (_, extra, body) => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const res = await exchange(app, code, extra)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(body)
    if ('redirect_uri' in extra) expect((await exchange(app, code)).status).toBe(400)
  })

  it('a code issued to another client is invalid_grant (DOT 1.7: unauthorized_client)', async () => {
    const { app, user } = await setup()
    const other = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    expect(await exchange(other, code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('an expired code is invalid_grant', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, expiresAt: Math.floor(Date.now() / 1000) - 1 })
    expect(await exchange(app, code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('without redirect_uri at authorize, none is needed at the exchange', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: null })
    expect((await exchange(app, code, { redirect_uri: '' })).status).toBe(200)
  })

  it('an app registered for another grant is unauthorized_client', async () => {
    const app = await createApplication({ authorizationGrantType: 'password' })
    const user = await createUser()
    const code = await issueCode({ applicationId: app.id, userId: user.id })
    expect(await exchange(app, code)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } })
  })
})

describe('PKCE at the exchange', () => {
  const pkceCode = async (app: TestApp, userId: number) =>
    issueCode({ applicationId: app.id, userId, redirectUri: REDIRECT, codeChallenge: s256Challenge(VERIFIER), codeChallengeMethod: 'S256' })

  it('a public client exchanges with the right verifier (RFC 7636 Appendix B)', async () => {
    const { app, user } = await setup('public')
    const res = await exchange(app, await pkceCode(app, user.id), { code_verifier: VERIFIER })
    expect(res.status).toBe(200)
  })

  it.each([
    ['a wrong verifier', { code_verifier: 'x'.repeat(43) }, { error: 'invalid_grant' }],
    ['a malformed verifier', { code_verifier: 'short' }, { error: 'invalid_grant' }],
    ['no verifier', {}, { error: 'invalid_request', error_description: 'Code verifier required.' }],
  ])('%s is refused and burns the code', async (_, extra, body) => {
    const { app, user } = await setup('public')
    const code = await pkceCode(app, user.id)
    expect(await exchange(app, code, extra)).toMatchObject({ status: 400, body })
    // DOT 1.7 lets the right verifier succeed after a wrong one (step 172); a failed exchange burns the code here.
    expect((await exchange(app, code, { code_verifier: VERIFIER })).status).toBe(400)
  })

  it('a verifier for a code issued without a challenge is a downgrade: refused (RFC 9700 §4.8.2)', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    expect(await exchange(app, code, { code_verifier: VERIFIER })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })
})
