// POST /o/token/ with the password grant, client authentication and the endpoint's error answers.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { basicAuth, call, read } from '../helpers/http'
import { passwordSetup, passwordToken, postAs } from '../helpers/grants'
import { createApplication, createUser, PASSWORD } from '../helpers/seed'
import { fullwidth } from '../helpers/spellings'
import { LIMITS } from '../../src/auth/rate-limit'
import { sha256Hex } from '../../src/crypto/token'

const TOKEN = /^[A-Za-z0-9_-]{43}$/

function expectNoStore(headers: Headers) {
  expect(headers.get('cache-control')).toBe('no-store')
  expect(headers.get('pragma')).toBe('no-cache')
}

describe('password grant', () => {
  it('issues the tutorial token: Basic client auth, all scopes, no-store', async () => {
    const res = await passwordToken(await passwordSetup())
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expectNoStore(res.headers)
    expect(res.body).toEqual({
      access_token: expect.stringMatching(TOKEN),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.stringMatching(TOKEN),
      scope: 'read write groups',
    })
  })

  it('accepts client credentials in the form body', async () => {
    const res = await passwordToken(await passwordSetup(), {}, true)
    expect(res.status).toBe(200)
    expect(res.body.scope).toBe('read write groups')
  })

  it.each([
    ['read', 'read'],
    ['groups', 'groups'],
    ['read groups', 'read groups'],
    ['write  read', 'write read'],
    ['read read', 'read'],
    ['', 'read write groups'], // RFC 6749 §3.1: an empty parameter is as if omitted (DOT 1.7 says invalid_scope)
  ])('scope=%j gives a token with scope %j', async (scope, granted) => {
    const res = await passwordToken(await passwordSetup(), { scope })
    expect(res.status).toBe(200)
    expect(res.body.scope).toBe(granted)
  })

  it.each(['admin', 'read admin', 'READ'])('an unknown scope %j is invalid_scope', async (scope) => {
    const res = await passwordToken(await passwordSetup(), { scope })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_scope' })
    expectNoStore(res.headers)
  })

  it('answers a wrong password and an unknown user alike', async () => {
    const setup = await passwordSetup()
    const wrong = await passwordToken(setup, { password: 'not it' })
    const unknown = await passwordToken(setup, { username: 'nobody-here' })
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid credentials given.' })
      expectNoStore(res.headers)
    }
  })

  it('takes the username NFKC-normalised: the fullwidth spelling of a name acts as that user', async () => {
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { username: fullwidth(setup.user.username) })
    expect(res.status).toBe(200)
    const seen = await postAs(setup.app, '/o/introspect/', { token: res.body.access_token })
    expect(seen.body).toMatchObject({ active: true, username: setup.user.username, sub: String(setup.user.id) })
  })

  it('counts the failures of every spelling of a name toward that name’s limit', async () => {
    const setup = await passwordSetup()
    const headers = { 'CF-Connecting-IP': '203.0.113.77' }
    const attempt = (username: string, password: string) =>
      call('/o/token/', {
        basic: [setup.app.clientId, setup.app.clientSecret!],
        headers,
        form: { grant_type: 'password', username, password },
      }).then(read)
    for (let i = 0; i < LIMITS.userIp; i++)
      expect((await attempt(fullwidth(setup.user.username), `guess ${i}`)).status).toBe(400)
    expect((await attempt(setup.user.username, PASSWORD)).status).toBe(429)
  })

  it('refuses an inactive user as it refuses a wrong password', async () => {
    const app = await createApplication()
    const user = await createUser({ isActive: false })
    const res = await passwordToken({ app, user })
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid credentials given.' })
  })

  it.each([
    ['username', 'Request is missing username parameter.'],
    ['password', 'Request is missing password parameter.'],
  ])('a missing %s is invalid_request naming it', async (param, description) => {
    const { app, user } = await passwordSetup()
    const form: Record<string, string> = { grant_type: 'password', username: user.username, password: PASSWORD }
    delete form[param]
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: description })
  })

  it('a repeated parameter is invalid_request (RFC 6749 §3.2)', async () => {
    const { app, user } = await passwordSetup()
    const form = `grant_type=password&username=${user.username}&password=x&password=y`
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Duplicate password parameter.' })
  })

  it('is unauthorized_client for an app registered for another grant', async () => {
    for (const authorizationGrantType of ['client-credentials', 'authorization-code'] as const) {
      const app = await createApplication({ authorizationGrantType })
      const res = await passwordToken({ app, user: await createUser() })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: 'unauthorized_client' })
    }
  })

  it('stores tokens under their digests only: the access token in KV, the refresh token in D1', async () => {
    const res = await passwordToken(await passwordSetup())
    const keys = (await env.TOKENS.list()).keys.map((k) => k.name)
    expect(keys).toContain(`access:${sha256Hex(res.body.access_token)}`)
    expect(keys.filter((k) => k.startsWith('refresh:'))).toEqual([])
    const family = await env.DB.prepare('select refresh_hash from token_families where access_hash = ?')
      .bind(sha256Hex(res.body.access_token))
      .first<{ refresh_hash: string }>()
    expect(family?.refresh_hash).toBe(sha256Hex(res.body.refresh_token))
    const dump = JSON.stringify(keys) + JSON.stringify(await Promise.all(keys.map((k) => env.TOKENS.get(k))))
    expect(dump).not.toContain(res.body.access_token)
    expect(dump).not.toContain(res.body.refresh_token)
    const rows = JSON.stringify((await env.DB.prepare('select * from token_families').all()).results)
    expect(rows).not.toContain(res.body.refresh_token)
  })
})

describe('client authentication', () => {
  const form = (username: string) => ({ grant_type: 'password', username, password: PASSWORD })

  it.each([
    ['a wrong secret in Basic', (id: string) => basicAuth(id, 'wrong-secret')],
    ['an unknown client in Basic', () => basicAuth('no-such-client', 'x')],
    ['a malformed Basic header', () => 'Basic xyz'],
    ['Basic without a colon', () => `Basic ${btoa('just-an-id')}`],
  ])('%s is 401 invalid_client with a Basic challenge', async (_, header) => {
    const { app, user } = await passwordSetup()
    const res = await read(
      await call('/o/token/', { headers: { Authorization: header(app.clientId) }, form: form(user.username) }),
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
    // RFC 6749 §5.2: the challenge's scheme matches the one the client used (DOT 1.7 sends Bearer).
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oauth"')
    expectNoStore(res.headers)
  })

  it.each([
    ['a wrong secret in the body', (id: string) => ({ client_id: id, client_secret: 'wrong' })],
    ['a client_id without its secret', (id: string) => ({ client_id: id })],
    ['no client credentials at all', () => ({})],
  ])('%s is 401 invalid_client', async (_, creds) => {
    const { app, user } = await passwordSetup()
    const res = await read(await call('/o/token/', { form: { ...form(user.username), ...creds(app.clientId) } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oauth"')
  })

  it('credentials in both Basic and the body are invalid_request (RFC 6749 §2.3)', async () => {
    const { app, user } = await passwordSetup()
    const res = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { ...form(user.username), client_id: app.clientId, client_secret: app.clientSecret! },
      }),
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'The client must use only one authentication method.',
    })
  })

  it('decodes form-encoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const app = await createApplication({ clientId: 'id with:colon&plus+' })
    const user = await createUser()
    const res = await read(
      await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: form(user.username) }),
    )
    expect(res.status).toBe(200)
  })
})

describe('the endpoint', () => {
  it.each([
    ['an unknown grant_type', 'grant_type=magic'],
    ['no grant_type', 'username=a&password=b'],
  ])('%s is unsupported_grant_type', async (_, body) => {
    const { app } = await passwordSetup()
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: body }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'unsupported_grant_type' })
    expectNoStore(res.headers)
  })

  it('reads no parameters from a JSON body, as DOT', async () => {
    const { app, user } = await passwordSetup()
    const json = { grant_type: 'password', username: user.username, password: PASSWORD }
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], json }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'unsupported_grant_type' })
  })

  it.each(['GET', 'PUT', 'DELETE'])('%s is 405 with Allow: POST', async (method) => {
    const res = await call('/o/token/?grant_type=password&username=a&password=b', { method })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expectNoStore(res.headers)
  })
})
