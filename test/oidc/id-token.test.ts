// OpenID Connect: the id_token of the code exchange (Core §3.1.3), the JWKS, and the signing keys.
import { env } from 'cloudflare:workers'
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { basicAuth, call, ORIGIN, read } from '../helpers/http'
import { callWith } from '../helpers/faults'
import { codeGrant, REDIRECT } from '../helpers/grants'
import { issueCode } from '../helpers/codes'
import { createApplication, createUser } from '../helpers/seed'
import { authorizationCodeFlow } from '../helpers/flows'
import { accessTokenHash } from '../../src/oidc/id-token'
import { logged } from '../helpers/secrets'

const jwks = async () => (await read(await call('/o/.well-known/jwks.json'))).body
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi']
const testKeys = () => JSON.parse((env as unknown as { OIDC_PRIVATE_KEYS: string }).OIDC_PRIVATE_KEYS)

describe('id_token', () => {
  it('comes with a code exchange for openid, RS256, verifiable against the JWKS', async () => {
    const { app, user, authTime, tokens } = await codeGrant({
      scope: 'openid profile email read',
      nonce: 'n-0S6_WzA2Mj',
    })
    expect(Object.keys(tokens).sort()).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'refresh_token',
      'scope',
      'token_type',
    ])
    expect(tokens.scope).toBe('openid profile email read')
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwks()), {
      issuer: ORIGIN,
      audience: app.clientId,
      algorithms: ['RS256'],
    })
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
    expect(payload).toEqual({
      iss: ORIGIN,
      sub: String(user.id),
      aud: app.clientId,
      iat: expect.any(Number),
      exp: payload.iat! + 3600,
      auth_time: authTime,
      nonce: 'n-0S6_WzA2Mj',
      at_hash: accessTokenHash(tokens.access_token),
    })
  })

  it('through the real sign-in and consent pages: nonce echoed, auth_time when the user signed in', async () => {
    const before = Math.floor(Date.now() / 1000)
    const { app, tokens } = await authorizationCodeFlow({ scope: 'openid email', nonce: 'abc-123' })
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwks()), {
      issuer: ORIGIN,
      audience: app.clientId,
    })
    expect(payload.nonce).toBe('abc-123')
    expect(payload.auth_time).toBeGreaterThanOrEqual(before - 1)
    expect(payload.auth_time).toBeLessThanOrEqual(payload.iat!)
  })

  it('has no nonce when the authorization request sent none', async () => {
    const { tokens } = await codeGrant({ scope: 'openid' })
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwks()))
    expect(payload).not.toHaveProperty('nonce')
  })

  it('at_hash matches OpenID Connect Core §3.1.3.6 (example from Core Appendix A.3)', async () => {
    // Core A.3: access_token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" → at_hash "77QmUPtjPfzWtF2AnpK9RQ".
    expect(accessTokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y')).toBe('77QmUPtjPfzWtF2AnpK9RQ')
  })

  it.each(['read write', 'profile email'])('is not issued for %j: no openid', async (scope) => {
    const { tokens } = await codeGrant({ scope })
    expect(tokens).not.toHaveProperty('id_token')
  })

  it('names the ISSUER setting as iss when it is set', async () => {
    const { app, code } = await openidCode()
    const res = await exchangeWith({ ISSUER: 'https://auth.example.com' }, app, code)
    const { payload } = await jwtVerify(res.body.id_token, createLocalJWKSet(await jwks()), {
      issuer: 'https://auth.example.com',
    })
    expect(payload.iss).toBe('https://auth.example.com')
  })
})

describe('signing keys', () => {
  it('the JWKS publishes the public half of each key, with kid, use and alg', async () => {
    const res = await read(await call('/o/.well-known/jwks.json'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const [key] = testKeys()
    expect(res.body).toEqual({ keys: [{ kty: 'RSA', kid: 'test-key', use: 'sig', alg: 'RS256', n: key.n, e: key.e }] })
    for (const member of PRIVATE_MEMBERS) expect(JSON.stringify(res.body)).not.toContain(`"${member}"`)
  })

  it('after a rotation, the new key signs and the previous one stays published; a key without kid gets its thumbprint', async () => {
    const fresh = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    const rotated = JSON.stringify({ keys: [fresh, ...testKeys()] })
    const res = await read(await callWith({ OIDC_PRIVATE_KEYS: rotated } as Partial<Env>, '/o/.well-known/jwks.json'))
    expect(res.body.keys.map((k: { kid: string }) => k.kid)).toEqual([
      expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      'test-key',
    ])
    const { app, code } = await openidCode()
    const token = await exchangeWith({ OIDC_PRIVATE_KEYS: rotated }, app, code)
    expect(token.status).toBe(200)
    expect(decodeProtectedHeader(token.body.id_token).kid).toBe(res.body.keys[0].kid)
    await jwtVerify(token.body.id_token, createLocalJWKSet(res.body))
  })

  it.each([
    ['absent', '', 'OIDC_PRIVATE_KEYS is not set'],
    ['not JSON', 'not json', 'OIDC_PRIVATE_KEYS is not JSON'],
    [
      'a public key only',
      JSON.stringify([{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }]),
      'OIDC_PRIVATE_KEYS holds a key that is not a private RSA JWK',
    ],
  ])(
    'when the secret is %s, an openid exchange is a 500 that stores and spends nothing, logged with the reason; the code works once fixed',
    async (_, value, reason) => {
      const { app, code } = await openidCode()
      const keys = (await env.TOKENS.list()).keys.length
      const before = logged.length
      const failed = await exchangeWith({ OIDC_PRIVATE_KEYS: value }, app, code)
      // One error line, naming what is wrong (never key material): the surface's handler logs the ConfigurationError.
      const errors = logged
        .slice(before)
        .map((line) => JSON.parse(line))
        .filter((line) => line.level === 'error')
      expect(errors).toEqual([expect.objectContaining({ event: 'oidc_keys_unavailable', reason })])
      expect(failed.status).toBe(500)
      expect(failed.body).toEqual({
        error: 'server_error',
        error_description: 'The server could not complete the request.',
      })
      expect((await env.TOKENS.list()).keys.length).toBe(keys)
      expect((await exchangeWith({}, app, code)).status).toBe(200)
      expect(
        (await read(await callWith({ OIDC_PRIVATE_KEYS: value } as Partial<Env>, '/o/.well-known/jwks.json'))).status,
      ).toBe(500)
    },
  )
})

/** An authorization-code app and an unspent `openid` code for it. */
async function openidCode() {
  const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
  const user = await createUser()
  return {
    app,
    code: await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT, scope: 'openid' }),
  }
}

/** The code exchange with some bindings replaced. */
async function exchangeWith(
  bindings: Record<string, string>,
  app: { clientId: string; clientSecret: string | null },
  code: string,
) {
  const res = await callWith(bindings as Partial<Env>, '/o/token/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: basicAuth(app.clientId, app.clientSecret!),
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }).toString(),
  })
  return read(res)
}
