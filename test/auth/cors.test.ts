// CORS per application (src/auth/cors.ts): preflight by any application's listing, responses by
// the listing of the application the client or token belongs to; never on /o/authorize/.
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { clientAuth, codeGrant, clientCredentialsGrant } from '../helpers/grants'
import { createApplication, createUser, PASSWORD, unique } from '../helpers/seed'

const uniqueOrigin = () => `https://${unique('app').toLowerCase().replace(/_/g, '-')}.example`

async function setup() {
  const origin = uniqueOrigin()
  const other = uniqueOrigin()
  // Two origins, separated by a newline as a form's textarea might send them.
  const app = await createApplication({ allowedOrigins: `https://first.example\n${origin}` })
  const stranger = await createApplication({ allowedOrigins: other })
  const user = await createUser()
  const form = { grant_type: 'password', username: user.username, password: PASSWORD }
  const tokens = (await read(await call('/o/token/', clientAuth(app, form)))).body
  return { origin, other, app, stranger, user, tokens }
}

const preflight = (path: string, origin: string, method = 'POST') =>
  call(path, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization',
    },
  })

describe('preflight', () => {
  it.each([
    ['/o/token/', 'POST'],
    ['/o/revoke_token/', 'POST'],
    ['/o/introspect/', 'POST'],
    ['/o/userinfo/', 'GET, POST'],
    ['/users/', 'GET, POST, HEAD, OPTIONS'],
    ['/users/1/', 'GET, POST, HEAD, OPTIONS'],
    ['/groups/', 'GET, HEAD, OPTIONS'],
  ])('%s → 204 for an origin some application lists, allowing %s', async (path, methods) => {
    const { origin } = await setup()
    const res = await preflight(path, origin)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    expect(res.headers.get('access-control-allow-methods')).toBe(methods)
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it.each([
    ['an origin no application lists', 'https://evil.example'],
    ['"null"', 'null'],
    ['a prefix of a listed origin', 'https://first.exampl'],
    ['an origin with a path', 'https://first.example/x'],
  ])('no CORS headers for %s', async (_, origin) => {
    await setup()
    const res = await preflight('/o/token/', origin)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('responses', () => {
  it('the token endpoint releases its answer to the client’s own origins only', async () => {
    const { origin, other, app, user } = await setup()
    const form = { grant_type: 'password', username: user.username, password: PASSWORD }
    const mine = await call('/o/token/', { ...clientAuth(app, form), headers: { Origin: origin } })
    expect(mine.status).toBe(200)
    expect(mine.headers.get('access-control-allow-origin')).toBe(origin)
    expect(mine.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate')
    const theirs = await call('/o/token/', { ...clientAuth(app, form), headers: { Origin: other } })
    expect(theirs.headers.get('access-control-allow-origin')).toBeNull()
    expect(theirs.headers.get('vary')).toContain('Origin')
  })

  it('a client that registered itself (RFC 7591) gets its redirect URIs’ origins, and only those', async () => {
    const { origin: anotherApps } = await setup()
    const spa = uniqueOrigin()
    const registered = await read(
      await call('/o/register/', {
        json: { redirect_uris: [`${spa}/callback`, `${spa}/other`], token_endpoint_auth_method: 'none' },
        headers: { 'CF-Connecting-IP': '203.0.113.77' },
      }),
    )
    expect(registered.status).toBe(201)
    const clientId = (registered.body as { client_id: string }).client_id
    expect((await preflight('/o/token/', spa)).headers.get('access-control-allow-origin')).toBe(spa)
    const exchange = (origin: string) =>
      call('/o/token/', {
        form: { grant_type: 'authorization_code', client_id: clientId, code: 'nope', redirect_uri: `${spa}/callback` },
        headers: { Origin: origin },
      })
    const mine = await exchange(spa)
    expect(mine.status).toBe(400)
    expect(mine.headers.get('access-control-allow-origin')).toBe(spa)
    // An origin another application lists is not this client's.
    expect((await exchange(anotherApps)).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('an error before any client is known is readable by a listed origin, so the page can see why', async () => {
    const { origin } = await setup()
    const res = await call('/o/token/', { form: { grant_type: 'password' }, headers: { Origin: origin } })
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    expect(
      (
        await call('/o/token/', { form: { grant_type: 'password' }, headers: { Origin: 'https://evil.example' } })
      ).headers.get('access-control-allow-origin'),
    ).toBeNull()
  })

  it.each([
    ['GET', '/users/'],
    ['GET', '/o/userinfo/'],
  ])('%s %s releases a bearer token’s answer to its application’s origins only', async (method, path) => {
    const { origin, other, tokens } = await setup()
    const mine = await call(path, { method, token: tokens.access_token, headers: { Origin: origin } })
    expect(mine.headers.get('access-control-allow-origin')).toBe(origin)
    const theirs = await call(path, { method, token: tokens.access_token, headers: { Origin: other } })
    expect(theirs.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('revocation and introspection follow the authenticated client’s origins', async () => {
    const origin = uniqueOrigin()
    const { app, token } = await clientCredentialsGrant('introspection', { allowedOrigins: origin })
    for (const path of ['/o/introspect/', '/o/revoke_token/']) {
      const res = await call(path, { ...clientAuth(app, { token: 'x' }), headers: { Origin: origin } })
      expect([path, res.status, res.headers.get('access-control-allow-origin')]).toEqual([path, 200, origin])
    }
    // Introspection by bearer: the token's application.
    const byBearer = await call('/o/introspect/', { token, form: { token: 'x' }, headers: { Origin: origin } })
    expect(byBearer.headers.get('access-control-allow-origin')).toBe(origin)
  })

  it('requests without Origin get no CORS headers, only Vary', async () => {
    const { tokens } = await setup()
    const res = await call('/users/', { token: tokens.access_token })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it('never on the authorization endpoint', async () => {
    const { app } = await codeGrant({ app: { allowedOrigins: 'https://spa.example' } })
    const query = `?response_type=code&client_id=${app.clientId}`
    expect(
      (await preflight(`/o/authorize/${query}`, 'https://spa.example', 'GET')).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull()
    const res = await call(`/o/authorize/${query}`, { headers: { Origin: 'https://spa.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})
