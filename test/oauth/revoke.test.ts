// Token revocation, POST /o/revoke_token/ (RFC 7009), against DOT 1.7's answers (steps 080-104).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { basicAuth, call, read, RESOURCE_METADATA } from '../helpers/http'
import { callWith, faultyD1, faultyKV } from '../helpers/faults'
import { clientCredentialsGrant, codeGrant, grant, type Granted, postAs, refresh } from '../helpers/grants'
import { createApplication } from '../helpers/seed'
import { sha256Hex } from '../../src/crypto/token'

// The API's 401 names its RFC 9728 metadata (issue 12).
const INVALID_TOKEN = `Bearer realm="api", error="invalid_token", error_description="The access token is invalid.", ${RESOURCE_METADATA}`

const introspect = (app: { clientId: string; clientSecret: string | null }, token: string) =>
  call('/o/introspect/', { basic: [app.clientId, app.clientSecret!], form: { token } }).then(read)

/** What a client sees of its grant afterwards: the access token at the API, and a refresh. */
async function grantState(s: Granted) {
  const api = await read(await call('/users/', { token: s.tokens.access_token }))
  const refreshed = await refresh(s.app, s.tokens.refresh_token)
  return {
    api: api.status,
    challenge: api.headers.get('www-authenticate'),
    refresh: refreshed.status,
    error: refreshed.body?.error,
  }
}
const REVOKED = { api: 401, challenge: INVALID_TOKEN, refresh: 400, error: 'invalid_grant' }

describe('revoking a token of ones own', () => {
  it.each([
    ['an access token, hinted (step 080)', 'access_token', 'access_token'],
    ['a refresh token, hinted (step 084)', 'refresh_token', 'refresh_token'],
    ['an access token, no hint', 'access_token', undefined],
    ['a refresh token hinted as an access token (step 103)', 'refresh_token', 'access_token'],
    ['an access token hinted as a refresh token', 'access_token', 'refresh_token'],
    ['an access token with an unknown hint (step 101)', 'access_token', 'foo'],
  ] as const)('%s → 200, empty; the whole grant is revoked', async (_, which, hint) => {
    const s = await grant('password')
    const token = which === 'access_token' ? s.tokens.access_token : s.tokens.refresh_token
    const res = await postAs(s.app, '/o/revoke_token/', { token, ...(hint ? { token_type_hint: hint } : {}) })
    expect(res.status).toBe(200)
    expect(res.body).toBeNull()
    expect(res.headers.get('cache-control')).toBe('no-store')
    // The refresh must be invalid_grant: DOT 1.7 answers 500 here (step 082).
    expect(await grantState(s)).toEqual(REVOKED)
    expect((await introspect(s.app, s.tokens.access_token)).body).toEqual({ active: false })
  })

  it('takes client credentials in the body (step 088)', async () => {
    const s = await grant('password')
    const res = await read(
      await call('/o/revoke_token/', {
        form: { token: s.tokens.access_token, client_id: s.app.clientId, client_secret: s.app.clientSecret! },
      }),
    )
    expect(res.status).toBe(200)
    expect((await grantState(s)).api).toBe(401)
  })

  it('a rotated-out refresh token still revokes its grant, and the current tokens with it', async () => {
    const s = await grant('password')
    const next = (await refresh(s.app, s.tokens.refresh_token)).body
    expect((await postAs(s.app, '/o/revoke_token/', { token: s.tokens.refresh_token })).status).toBe(200)
    expect((await call('/users/', { token: next.access_token })).status).toBe(401)
    expect((await refresh(s.app, next.refresh_token)).body).toEqual({ error: 'invalid_grant' })
  })

  it('an access token a refresh replaced: 200, its record goes, and the grant lives on', async () => {
    const s = await grant('password')
    const next = (await refresh(s.app, s.tokens.refresh_token)).body
    // Its record outlives the rotation (left to its TTL; D1 refuses it): revocation still finds it.
    expect(await env.TOKENS.get(`access:${sha256Hex(s.tokens.access_token)}`)).not.toBeNull()
    expect((await postAs(s.app, '/o/revoke_token/', { token: s.tokens.access_token })).status).toBe(200)
    expect(await env.TOKENS.get(`access:${sha256Hex(s.tokens.access_token)}`)).toBeNull()
    expect((await call('/users/', { token: next.access_token })).status).toBe(200)
    expect((await refresh(s.app, next.refresh_token)).status).toBe(200)
  })

  it('a client_credentials token is revoked alone', async () => {
    const { app, token } = await clientCredentialsGrant('read')
    expect((await introspect(app, token)).body.active).toBe(true)
    expect((await postAs(app, '/o/revoke_token/', { token })).status).toBe(200)
    expect((await introspect(app, token)).body).toEqual({ active: false })
    expect(await env.TOKENS.get(`access:${sha256Hex(token)}`)).toBeNull()
  })

  it('a public client revokes its own tokens by client_id', async () => {
    const { app, tokens } = await codeGrant({ app: { clientType: 'public' } })
    const res = await read(
      await call('/o/revoke_token/', { form: { token: tokens.refresh_token, client_id: app.clientId } }),
    )
    expect(res.status).toBe(200)
    expect((await call('/users/', { token: tokens.access_token })).status).toBe(401)
  })
})

describe('revocation answers 200 and changes nothing', () => {
  it.each([
    ['an unknown token (step 090)', 'no-such-token'],
    ['a malformed token', '%%% "\\'],
  ])('for %s', async (_, token) => {
    const s = await grant('password')
    expect(await postAs(s.app, '/o/revoke_token/', { token })).toMatchObject({ status: 200, body: null })
    expect(await grantState(s)).toMatchObject({ api: 200, refresh: 200 })
  })

  it('for a token already revoked (step 091)', async () => {
    const s = await grant('password')
    await postAs(s.app, '/o/revoke_token/', { token: s.tokens.access_token })
    expect(await postAs(s.app, '/o/revoke_token/', { token: s.tokens.access_token })).toMatchObject({
      status: 200,
      body: null,
    })
  })

  it.each(['access_token', 'refresh_token'] as const)(
    'for another client’s %s, which stays valid (RFC 7009 §2.1; DOT 1.7 revokes it, step 098)',
    async (which) => {
      const s = await grant('password')
      const other = await createApplication({ authorizationGrantType: 'client-credentials' })
      const token = which === 'access_token' ? s.tokens.access_token : s.tokens.refresh_token
      expect(await postAs(other, '/o/revoke_token/', { token })).toMatchObject({ status: 200, body: null })
      expect(await grantState(s)).toMatchObject({ api: 200, refresh: 200 })
    },
  )
})

describe('revocation refusals', () => {
  it.each([
    ['no client authentication (step 093)', { form: { token: 'x' } }],
    ['a wrong secret (step 094)', { basic: ['id', 'wrong'] as [string, string], form: { token: 'x' } }],
  ])('%s → 401 invalid_client with a Basic challenge', async (_, opts) => {
    const s = await grant('password')
    const res = await read(await call('/o/revoke_token/', { ...opts, form: { token: s.tokens.access_token } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oauth"')
    expect(await grantState(s)).toMatchObject({ api: 200 })
  })

  it('a missing token → 400 invalid_request (step 095)', async () => {
    const s = await grant('password')
    const res = await postAs(s.app, '/o/revoke_token/', {})
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Missing token parameter.' })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it.each(['GET', 'PUT', 'DELETE'])('%s → 405 with Allow: POST, revoking nothing (step 096)', async (method) => {
    const s = await grant('password')
    const res = await call(`/o/revoke_token/?token=${s.tokens.access_token}`, {
      method,
      basic: [s.app.clientId, s.app.clientSecret!],
    })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect((await grantState(s)).api).toBe(200)
  })
})

describe('revocation when storage fails', () => {
  const revokeWith = async (bindings: Partial<Env>, s: Granted) =>
    read(
      await callWith(bindings, '/o/revoke_token/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basicAuth(s.app.clientId, s.app.clientSecret!),
        },
        body: new URLSearchParams({ token: s.tokens.refresh_token }).toString(),
      }),
    )
  const UNAVAILABLE = {
    error: 'temporarily_unavailable',
    error_description: 'The server could not complete the request.',
  }

  it('D1 down → 503 temporarily_unavailable with Retry-After, and nothing is revoked', async () => {
    const s = await grant('password')
    const res = await revokeWith({ DB: faultyD1(/^update "token_families"/) }, s)
    expect(res.status).toBe(503)
    expect(res.body).toEqual(UNAVAILABLE)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await grantState(s)).toMatchObject({ api: 200, refresh: 200 })
  })

  it('KV failing after D1 → 503; the grant can no longer be refreshed, and a retry finishes the job', async () => {
    const s = await grant('password')
    const res = await revokeWith({ TOKENS: faultyKV(['delete']) }, s)
    expect(res.status).toBe(503)
    expect(res.body).toEqual(UNAVAILABLE)
    expect((await refresh(s.app, s.tokens.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect((await postAs(s.app, '/o/revoke_token/', { token: s.tokens.access_token })).status).toBe(200)
    expect((await call('/users/', { token: s.tokens.access_token })).status).toBe(401)
  })
})
