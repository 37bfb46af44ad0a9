// The resource-server kit on its own, inside workerd: a Hono app another Worker would write, with
// the authorization server played by a stub Fetcher (metadata, JWKS, introspection) and JWTs
// signed with test keys. Every refusal path, and what the stub was asked (caching, rate limit).
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type FetcherLike,
  protectedResourceMetadata,
  type RequireAccessTokenOptions,
  requireAccessToken,
  resourceMetadataPath,
  resourceMetadataUrl,
} from '../../src/resource-server'

const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://mcp.example.com/mcp'
const METADATA_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
const INTROSPECTION = { clientId: 'mcp server', clientSecret: 's3cr:et' }

type Key = Awaited<ReturnType<typeof generateKeyPair>>
let current: Key
let next: Key
let stranger: Key
let jwks: { keys: object[] }
let requests: { url: string; authorization: string | null; body: string }[]
let introspectionAnswer: { status: number; body: object }

/** The authorization server as the kit sees it through a Service Binding. */
const authServer: FetcherLike = {
  async fetch(input, init) {
    const request = new Request(input, init)
    requests.push({ url: request.url, authorization: request.headers.get('Authorization'), body: await request.text() })
    const json = (body: object, status = 200) => Response.json(body, { status })
    switch (request.url) {
      case `${ISSUER}/.well-known/oauth-authorization-server`:
        return json({
          issuer: ISSUER,
          jwks_uri: `${ISSUER}/o/.well-known/jwks.json`,
          introspection_endpoint: `${ISSUER}/o/introspect/`,
        })
      case `${ISSUER}/o/.well-known/jwks.json`:
        return json(jwks)
      case `${ISSUER}/o/introspect/`:
        return json(introspectionAnswer.body, introspectionAnswer.status)
      default:
        return json({}, 404)
    }
  },
}

const publicJwk = async (key: Key, kid: string) => ({
  ...(await exportJWK(key.publicKey)),
  kid,
  alg: 'RS256',
  use: 'sig',
})

beforeAll(async () => {
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => generateKeyPair('RS256')))
  ;[current, next, stranger] = [a!, b!, c!]
})

afterEach(() => {
  vi.useRealTimers()
})

beforeEach(async () => {
  jwks = { keys: [await publicJwk(current, 'k1')] }
  requests = []
  introspectionAnswer = { status: 200, body: { active: false } }
})

const CLAIMS = { sub: '7', client_id: 'client-1', scope: 'mcp read', jti: 'j1' }

async function jwt(
  claims: JWTPayload = {},
  { key = current, kid = 'k1', typ = 'at+jwt', alg = 'RS256', exp = '5m' as string | number } = {},
) {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, ...CLAIMS, ...claims })
    .setProtectedHeader({ alg, kid, typ })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key.privateKey)
}

/** A Worker protected by the kit, as its README shows; a fresh one (fresh caches) per test. */
function protectedApp(extra: Partial<RequireAccessTokenOptions> = {}) {
  const options: RequireAccessTokenOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    scopes: ['mcp'],
    fetcher: authServer,
    ...extra,
  }
  const app = new Hono()
  app.get(resourceMetadataPath(AUDIENCE), protectedResourceMetadata({ ...options, name: 'Example MCP' }))
  app.all('/mcp', requireAccessToken(options), (c) => c.json(c.get('accessToken')))
  return app
}

const call = (app: Hono, authorization?: string) =>
  app.request(`${AUDIENCE}`, { method: 'POST', headers: authorization ? { Authorization: authorization } : {} })

async function expectRefused(res: Response, status: number, challenge: string, body: object) {
  expect({ status: res.status, challenge: res.headers.get('WWW-Authenticate'), body: await res.json() }).toEqual({
    status,
    challenge,
    body,
  })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

const invalid = (description: string) => ({
  challenge: `Bearer error="invalid_token", error_description="${description}", resource_metadata="${METADATA_URL}"`,
  body: { error: 'invalid_token', error_description: description },
})

describe('RFC 9728 metadata', () => {
  it('is served at the path-suffixed well-known URL, naming the issuer and the scopes', async () => {
    const res = await protectedApp().request(METADATA_URL)
    expect(res.status).toBe(200)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(await res.json()).toEqual({
      resource: AUDIENCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['mcp'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP',
    })
  })

  it('lists scopesSupported when given, beside the scopes a request needs', async () => {
    const handler = protectedResourceMetadata({
      issuer: ISSUER,
      audience: AUDIENCE,
      scopes: ['mcp'],
      scopesSupported: ['mcp', 'groups'],
    })
    const app = new Hono().get('/m', handler)
    expect(await (await app.request('/m')).json()).toMatchObject({ scopes_supported: ['mcp', 'groups'] })
  })

  it.each([
    ['https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/v1/mcp', 'https://api.example.com/.well-known/oauth-protected-resource/v1/mcp'],
    // §3.1: inserted between the host and "the path and/or query components"; the kit dropped the query.
    ['https://api.example.com/mcp?t=a', 'https://api.example.com/.well-known/oauth-protected-resource/mcp?t=a'],
  ])('%s → %s (§3.1)', (resource, url) => {
    expect(resourceMetadataUrl(resource)).toBe(url)
  })
})

describe('JWT access tokens (RFC 9068)', () => {
  it('a valid token passes, and the route reads who it is for', async () => {
    const res = await call(protectedApp(), `Bearer ${await jwt()}`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect({ ...body, claims: undefined }).toEqual({
      format: 'jwt',
      subject: '7',
      clientId: 'client-1',
      scopes: ['mcp', 'read'],
      audience: [AUDIENCE],
      expiresAt: expect.any(Number),
    })
  })

  it('acting for no user, with acceptClientTokens: passes', async () => {
    const res = await call(protectedApp({ acceptClientTokens: true }), `Bearer ${await jwt({ sub: 'client-1' })}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ format: 'jwt', subject: 'client-1', clientId: 'client-1' })
  })

  it('no credentials: 401 with a bare challenge pointing at the metadata (RFC 6750 §3.1, RFC 9728 §5.1)', async () => {
    await expectRefused(await call(protectedApp()), 401, `Bearer resource_metadata="${METADATA_URL}"`, {
      error: 'invalid_request',
      error_description: 'No access token was sent.',
    })
  })

  it('a malformed Authorization header: 400 invalid_request', async () => {
    const description = 'The Authorization header is malformed.'
    await expectRefused(
      await call(protectedApp(), 'Bearer a b'),
      400,
      `Bearer error="invalid_request", error_description="${description}", resource_metadata="${METADATA_URL}"`,
      { error: 'invalid_request', error_description: description },
    )
  })

  const INVALID = 'The access token is invalid.'
  it.each([
    ['expired', () => jwt({}, { exp: Math.floor(Date.now() / 1000) - 10 }), 'The access token has expired.'],
    [
      'for another resource',
      () => jwt({ aud: 'https://api.example.com/' }),
      'The access token is not meant for this resource.',
    ],
    ['from another issuer', () => jwt({ iss: 'https://evil.example.com' }), INVALID],
    [
      'acting for no user (client_credentials: sub is the client_id, RFC 9068 §2.2)',
      () => jwt({ sub: 'client-1' }),
      'The access token acts for no user.',
    ],
    ['typ JWT, not at+jwt (an id_token, §4)', () => jwt({}, { typ: 'JWT' }), INVALID],
    ['signed by a key not in the JWKS, under its kid', () => jwt({}, { key: stranger }), INVALID],
    [
      'HS256 (not an asymmetric alg)',
      async () => {
        const secret = new TextEncoder().encode('x'.repeat(32))
        return new SignJWT({ ...CLAIMS })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(secret)
      },
      INVALID,
    ],
    [
      'alg none',
      async () => {
        const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
        const now = Math.floor(Date.now() / 1000)
        return `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ ...CLAIMS, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60 })}.`
      },
      INVALID,
    ],
    ['without client_id (§2.2 requires it)', () => jwt({ client_id: undefined }), INVALID],
    ['without jti', () => jwt({ jti: undefined }), INVALID],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await jwt()).split('.')
        const forged = btoa(JSON.stringify({ ...CLAIMS, scope: 'mcp admin' })).replace(/=+$/, '')
        return `${h}.${forged}.${s}`
      },
      INVALID,
    ],
  ])('%s: 401 invalid_token', async (_, token, description) => {
    const { challenge, body } = invalid(description)
    await expectRefused(await call(protectedApp(), `Bearer ${await token()}`), 401, challenge, body)
  })

  it('a scope missing: 403 insufficient_scope naming every scope the route needs', async () => {
    const description = 'The access token lacks a scope this resource needs.'
    await expectRefused(
      await call(protectedApp({ scopes: ['mcp', 'write'] }), `Bearer ${await jwt()}`),
      403,
      `Bearer error="insufficient_scope", error_description="${description}", scope="mcp write", resource_metadata="${METADATA_URL}"`,
      { error: 'insufficient_scope', error_description: description },
    )
  })

  it('metadata and keys are fetched once, then cached', async () => {
    const app = protectedApp()
    for (let i = 0; i < 3; i++) expect((await call(app, `Bearer ${await jwt()}`)).status).toBe(200)
    expect(requests.map((r) => r.url)).toEqual([
      `${ISSUER}/.well-known/oauth-authorization-server`,
      `${ISSUER}/o/.well-known/jwks.json`,
    ])
  })

  it('a given jwksUri skips discovery', async () => {
    const app = protectedApp({ jwksUri: `${ISSUER}/o/.well-known/jwks.json` })
    expect((await call(app, `Bearer ${await jwt()}`)).status).toBe(200)
    expect(requests.map((r) => r.url)).toEqual([`${ISSUER}/o/.well-known/jwks.json`])
  })

  it('an unknown kid refreshes the keys (rotation), at most once per 30 s cooldown', async () => {
    const app = protectedApp({ jwksUri: `${ISSUER}/o/.well-known/jwks.json` })
    const start = Date.now()
    vi.setSystemTime(start)
    expect((await call(app, `Bearer ${await jwt()}`)).status).toBe(200)
    jwks = { keys: [await publicJwk(next, 'k2'), await publicJwk(current, 'k1')] }
    requests = []
    // Within the cooldown, a kid the cached set lacks is refused without a fetch: made-up kids
    // cannot make the kit hammer the issuer.
    const { challenge, body } = invalid('The access token is invalid.')
    for (let i = 0; i < 3; i++) {
      await expectRefused(await call(app, `Bearer ${await jwt({}, { kid: `made-up-${i}` })}`), 401, challenge, body)
    }
    expect(requests).toEqual([])
    // After it, the issuer's new key is fetched once and accepted.
    vi.setSystemTime(start + 30_000)
    expect((await call(app, `Bearer ${await jwt({}, { key: next, kid: 'k2' })}`)).status).toBe(200)
    expect((await call(app, `Bearer ${await jwt({}, { key: next, kid: 'k2' })}`)).status).toBe(200)
    expect(requests.map((r) => r.url)).toEqual([`${ISSUER}/o/.well-known/jwks.json`])
    await expectRefused(await call(app, `Bearer ${await jwt({}, { kid: 'made-up' })}`), 401, challenge, body)
    expect(requests).toHaveLength(1)
  })

  it('the issuer metadata naming another issuer is not used: 503, no challenge', async () => {
    const res = await call(protectedApp({ issuer: 'https://auth.example.com/tenant' }), `Bearer ${await jwt()}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('WWW-Authenticate')).toBeNull()
    expect(res.headers.get('Retry-After')).toBe('5')
    expect(await res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The authorization server is unreachable.',
    })
    expect(requests.map((r) => r.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant',
    ])
  })

  it('the issuer unreachable: 503, and the failure is not cached', async () => {
    let down = true
    const flaky: FetcherLike = {
      fetch: (input, init) => (down ? Promise.reject(new Error('down')) : authServer.fetch(input, init)),
    }
    const app = protectedApp({ fetcher: flaky })
    expect((await call(app, `Bearer ${await jwt()}`)).status).toBe(503)
    down = false
    expect((await call(app, `Bearer ${await jwt()}`)).status).toBe(200)
  })
})

describe('opaque tokens, introspected through a Service Binding (RFC 7662)', () => {
  const OPAQUE = 'opaque-token_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
  const app = () => protectedApp({ fetcher: undefined, introspection: { service: authServer, ...INTROSPECTION } })
  const active = (extra: object = {}) => ({
    active: true,
    scope: 'mcp',
    client_id: 'client-1',
    username: 'alice',
    sub: '7',
    aud: AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 60,
    ...extra,
  })

  it('an active token for this audience passes; the kit authenticates with form-encoded Basic credentials', async () => {
    introspectionAnswer = { status: 200, body: active({ aud: ['https://other.example.com/', AUDIENCE] }) }
    const res = await call(app(), `Bearer ${OPAQUE}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ format: 'opaque', subject: '7', username: 'alice', scopes: ['mcp'] })
    const asked = requests.find((r) => r.url === `${ISSUER}/o/introspect/`)!
    // RFC 6749 §2.3.1: "mcp server" and "s3cr:et" are form-encoded before base64.
    expect(asked.authorization).toBe(`Basic ${btoa('mcp+server:s3cr%3Aet')}`)
    expect(Object.fromEntries(new URLSearchParams(asked.body))).toEqual({
      token: OPAQUE,
      token_type_hint: 'access_token',
    })
  })

  it.each([
    ['inactive', { active: false }, 'The access token is invalid.'],
    [
      'for another resource',
      active({ aud: 'https://api.example.com/' }),
      'The access token is not meant for this resource.',
    ],
    ['with no audience at all', active({ aud: undefined }), 'The access token is not meant for this resource.'],
    ['from another issuer', active({ iss: 'https://evil.example.com' }), 'The access token is invalid.'],
    ['past its exp', active({ exp: 1 }), 'The access token has expired.'],
    [
      'acting for no user (client_credentials: no sub)',
      active({ username: undefined, sub: undefined }),
      'The access token acts for no user.',
    ],
  ])('%s: 401 invalid_token', async (_, answer, description) => {
    introspectionAnswer = { status: 200, body: answer }
    const { challenge, body } = invalid(description)
    await expectRefused(await call(app(), `Bearer ${OPAQUE}`), 401, challenge, body)
  })

  it('acting for no user, with acceptClientTokens: passes, the client its subject-less caller', async () => {
    introspectionAnswer = { status: 200, body: active({ username: undefined, sub: undefined }) }
    const res = await call(
      protectedApp({
        fetcher: undefined,
        introspection: { service: authServer, ...INTROSPECTION },
        acceptClientTokens: true,
      }),
      `Bearer ${OPAQUE}`,
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect({ format: body.format, subject: body.subject, clientId: body.clientId }).toEqual({
      format: 'opaque',
      subject: undefined,
      clientId: 'client-1',
    })
  })

  it('a scope missing: 403 insufficient_scope', async () => {
    introspectionAnswer = { status: 200, body: active({ scope: 'read' }) }
    expect((await call(app(), `Bearer ${OPAQUE}`)).status).toBe(403)
  })

  it('the authorization server refusing the kit’s credentials: 503, the token not blamed', async () => {
    introspectionAnswer = { status: 401, body: { error: 'invalid_client' } }
    const res = await call(app(), `Bearer ${OPAQUE}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('WWW-Authenticate')).toBeNull()
  })

  it('without introspection configured, an opaque token is invalid_token and nothing is fetched', async () => {
    const { challenge, body } = invalid('The access token is invalid.')
    await expectRefused(await call(protectedApp(), `Bearer ${OPAQUE}`), 401, challenge, body)
    expect(requests).toEqual([])
  })
})

describe('options from the env', () => {
  it('a function of the bindings is read per request (Service Bindings and secrets live in env)', async () => {
    const app = new Hono<{ Bindings: { AUTH: FetcherLike } }>()
    app.use(
      '/mcp',
      requireAccessToken((env: { AUTH: FetcherLike }) => ({ issuer: ISSUER, audience: AUDIENCE, fetcher: env.AUTH })),
    )
    app.post('/mcp', (c) => c.text(c.get('accessToken').subject ?? ''))
    const res = await app.request(
      AUDIENCE,
      { method: 'POST', headers: { Authorization: `Bearer ${await jwt()}` } },
      { AUTH: authServer },
    )
    expect(await res.text()).toBe('7')
  })
})
