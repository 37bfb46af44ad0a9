/**
 * JWT access tokens (RFC 9068) for resources registered with token_format "jwt" (issue 12): the
 * header and claims, verifiable by anyone with jose against the JWKS, the resource's own lifetime,
 * refresh, revocation (introspection sees it at once; a verifier that does not introspect cannot),
 * and the built-in API refusing them as tokens for another resource.
 */
import { env } from 'cloudflare:workers'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { authorizationCodeFlow } from '../helpers/flows'
import { postAs } from '../helpers/grants'
import { call, ORIGIN, read } from '../helpers/http'
import { passwordSetup, passwordToken, refresh } from '../helpers/grants'
import { createApplication, createResource, unique } from '../helpers/seed'
import type { Clock } from '../../src/clock'
import { type SigningKeys, signingKeys } from '../../src/oidc/keys'
import { readJwtClaims } from '../../src/tokens/jwt'

const jwtResource = (lifetime: number | null = null) =>
  createResource({
    uri: `https://${unique('jwt').toLowerCase()}.example/`,
    name: 'JWT API',
    tokenFormat: 'jwt',
    lifetime,
  })

/** Verifies as a resource server would: the published JWKS, the issuer, its own URI as audience. */
async function verify(token: string, audience: string) {
  const jwks = (await read(await call('/o/.well-known/jwks.json'))).body
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: ORIGIN, audience, typ: 'at+jwt' })
}

const introspect = (token: string, app: { clientId: string; clientSecret: string | null }) =>
  call('/o/introspect/', { basic: [app.clientId, app.clientSecret!], form: { token } }).then(read)

describe('JWT access tokens', () => {
  it('a password grant: typ at+jwt, the current kid, RFC 9068 claims, verifiable against the JWKS', async () => {
    const uri = await jwtResource()
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { resource: uri, scope: 'read' })
    expect(res.status).toBe(200)
    const token = res.body.access_token as string
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'test-key', typ: 'at+jwt' })
    const { payload } = await verify(token, uri)
    expect(payload).toEqual({
      iss: ORIGIN,
      sub: String(setup.user.id),
      aud: [uri],
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      client_id: setup.app.clientId,
      scope: 'read',
      // The grant (token family) it belongs to: the built-in API checks it is still current in D1.
      grant_id: expect.any(String),
      // RFC 9068 §2.2.1: the user authenticated with this very request.
      auth_time: payload.iat,
    })
    expect(payload.exp! - payload.iat!).toBe(36000)
    expect(res.body.expires_in).toBe(36000)
    // This server introspects it like any of its tokens.
    expect((await introspect(token, setup.app)).body).toMatchObject({ active: true, aud: uri, scope: 'read' })
  })

  it('client_credentials: sub is the client_id; the resource’s shorter lifetime is exp', async () => {
    const uri = await jwtResource(120)
    const app = await createApplication({ authorizationGrantType: 'client-credentials' })
    const res = await postAs(app, '/o/token/', { grant_type: 'client_credentials', scope: 'read', resource: uri })
    expect(res.body.expires_in).toBe(120)
    const { payload } = await verify(res.body.access_token, uri)
    expect(payload.sub).toBe(app.clientId)
    expect(payload.exp! - payload.iat!).toBe(120)
    expect(payload.auth_time).toBeUndefined()
  })

  it('the authorization code flow: auth_time is when the user signed in', async () => {
    const uri = await jwtResource()
    const flow = await authorizationCodeFlow({ scope: 'read', extraParams: { resource: uri } })
    const { payload } = await verify(flow.tokens.access_token, uri)
    expect(payload.auth_time).toEqual(expect.any(Number))
    expect(Math.abs((payload.auth_time as number) - Date.now() / 1000)).toBeLessThan(60)
  })

  it('a refresh of a password grant keeps the auth_time of the sign-in, not the refresh', async () => {
    const uri = await jwtResource()
    const setup = await passwordSetup()
    const first = await passwordToken(setup, { resource: uri })
    const signedIn = (await verify(first.body.access_token, uri)).payload.auth_time as number
    // As if the password was checked an hour ago: moved back behind the server's back.
    await env.DB.prepare('update token_families set auth_time = auth_time - 3600 where user_id = ?')
      .bind(setup.user.id)
      .run()
    const next = await refresh(setup.app, first.body.refresh_token)
    const { payload } = await verify(next.body.access_token, uri)
    expect(payload.auth_time).toBe(signedIn - 3600)
    expect(payload.iat! - (payload.auth_time as number)).toBeGreaterThanOrEqual(3600)
  })

  it('the built-in API refuses it (another audience); a refresh gives a new JWT', async () => {
    const uri = await jwtResource()
    const setup = await passwordSetup()
    const first = await passwordToken(setup, { resource: uri })
    const api = await call('/users/', { token: first.body.access_token })
    expect(api.status).toBe(401)
    const next = await refresh(setup.app, first.body.refresh_token)
    expect(next.status).toBe(200)
    const { payload } = await verify(next.body.access_token, uri)
    expect(payload.jti).not.toBe((await verify(first.body.access_token, uri)).payload.jti)
    // The rotated-out token is withdrawn here at once, though its signature still verifies.
    expect((await introspect(first.body.access_token, setup.app)).body).toEqual({ active: false })
  })

  it('revoked: introspection says inactive at once; a verifier that does not introspect still accepts it until exp', async () => {
    const uri = await jwtResource()
    const setup = await passwordSetup()
    const token = (await passwordToken(setup, { resource: uri })).body.access_token
    const revoked = await call('/o/revoke_token/', {
      basic: [setup.app.clientId, setup.app.clientSecret!],
      form: { token },
    })
    expect(revoked.status).toBe(200)
    expect((await introspect(token, setup.app)).body).toEqual({ active: false })
    await expect(verify(token, uri)).resolves.toBeDefined()
  })

  it.each([
    ['a forged signature', (t: string) => `${t.slice(0, t.lastIndexOf('.'))}.${'A'.repeat(342)}`],
    [
      'a changed payload',
      (t: string) => {
        const [h, , s] = t.split('.')
        return `${h}.${btoa('{"scope":"write"}').replace(/=+$/, '')}.${s}`
      },
    ],
    ['three dotted words', () => 'a.b.c'],
  ])('%s is not a token: introspection inactive, the API 401 invalid_token', async (_, tamper) => {
    const uri = await jwtResource()
    const setup = await passwordSetup()
    const token = tamper((await passwordToken(setup, { resource: uri })).body.access_token)
    expect((await introspect(token, setup.app)).body).toEqual({ active: false })
    const api = await call('/users/', { token })
    expect(api.status).toBe(401)
    expect(api.headers.get('www-authenticate')).toContain(
      'error="invalid_token", error_description="The access token is invalid."',
    )
  })
})

describe('verified JWTs are remembered per key set, never past exp or for another issuer', () => {
  const sign = (key: CryptoKey, kid: string, claims: Record<string, unknown>, exp: number) =>
    new SignJWT({ client_id: 'c', scope: 'read', grant_id: '7', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
      .setIssuer(ORIGIN)
      .setSubject('42')
      .setIssuedAt(exp - 600)
      .setExpirationTime(exp)
      .setJti(crypto.randomUUID())
      .sign(key)

  it('a token read once is expired from its exp on, and refused for another issuer', async () => {
    const keys = await signingKeys(env)
    const exp = Math.floor(Date.now() / 1000) + 600
    const token = await sign(keys.key, keys.kid, {}, exp)
    const at = (now: number): Clock => ({ now: () => now })
    const first = await readJwtClaims(token, async () => keys, at(exp - 1), ORIGIN)
    expect(first).toMatchObject({ userId: 42, grantId: '7', exp })
    expect(await readJwtClaims(token, async () => keys, at(exp - 1), ORIGIN)).toEqual(first)
    expect(await readJwtClaims(token, async () => keys, at(exp), ORIGIN)).toBe('expired')
    expect(await readJwtClaims(token, async () => keys, at(exp - 1), 'https://other.example')).toBeNull()
  })

  it('another key set (a rotation that retired the key) does not take a token the old one verified', async () => {
    const keys = await signingKeys(env)
    const exp = Math.floor(Date.now() / 1000) + 600
    const token = await sign(keys.key, keys.kid, {}, exp)
    const now: Clock = { now: () => exp - 1 }
    expect(await readJwtClaims(token, async () => keys, now)).not.toBeNull()
    const pair = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as { n: string; e: string }
    const rotated: SigningKeys = {
      kid: keys.kid,
      key: pair.privateKey,
      jwks: [{ kty: 'RSA', kid: keys.kid, use: 'sig', alg: 'RS256', n: jwk.n, e: jwk.e }],
    }
    expect(await readJwtClaims(token, async () => rotated, now)).toBeNull()
    // And a token whose signature was altered is never taken from what the original left behind.
    const [head, body, signature] = token.split('.')
    const altered = `${head}.${body}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`
    expect(await readJwtClaims(altered, async () => keys, now)).toBeNull()
  })
})
