// Dynamic client registration (RFC 7591) and client configuration (RFC 7592), as a client sees
// them: the policies, the validation errors, the per-address limit, the management endpoint with
// its registration access token, and a registered client doing the code flow and being deleted.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { basicAuth, call, ORIGIN, read } from '../helpers/http'
import { callWith } from '../helpers/faults'
import { authorizationCodeFlow, authorizeUrl } from '../helpers/flows'
import { REDIRECT } from '../helpers/grants'
import { db, type TestApp } from '../helpers/seed'
import { rememberSecret } from '../helpers/secrets'
import { sha256Hex } from '../../src/crypto/token'
import { findApplicationByClientId } from '../../src/store/applications'
import { applications } from '../../src/db/schema'
import { REGISTRATIONS_PER_WINDOW } from '../../src/protocol/register'

let address = 0
/** A fresh client address per request unless one is given, so the per-address limit only bites where tested. */
const nextIp = () => `198.51.100.${++address % 250}-${address}`

function register(json: unknown, headers: Record<string, string> = {}) {
  return call('/o/register/', { json, headers: { 'CF-Connecting-IP': nextIp(), ...headers } }).then(read)
}

const manage = (method: string, uri: string, token: string, json?: unknown) =>
  call(new URL(uri).pathname, { method, token, json }).then(read)

/** A registration under the initial-access-token policy, with a live token an operator issued. */
async function registerVouched(json: unknown) {
  const token = `iat-${crypto.randomUUID()}`
  rememberSecret(token)
  await env.DB.prepare('insert into initial_access_tokens (token_hash, expires_at) values (?, ?)')
    .bind(sha256Hex(token), Math.floor(Date.now() / 1000) + 600)
    .run()
  const res = await callWith({ CLIENT_REGISTRATION: 'initial-access-token' }, '/o/register/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'CF-Connecting-IP': nextIp() },
    body: JSON.stringify(json),
  })
  return read(res)
}

const tokenAt = (form: Record<string, string>, basic?: [string, string]) =>
  call('/o/token/', { form, basic }).then(read)

describe('POST /o/register/ (RFC 7591)', () => {
  it('registers a confidential client: 201 with the secret and registration token shown once, stored hashed', async () => {
    const res = await register({ redirect_uris: [REDIRECT], client_name: 'My tool', scope: 'read write' })
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      client_id_issued_at: expect.any(Number),
      registration_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      registration_client_uri: `${ORIGIN}/o/register/${res.body.client_id}/`,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'My tool',
      scope: 'read write',
    })
    const row = await env.DB.prepare(
      'select client_secret_hash, registration_token_hash, registration, client_type, user_id from applications where client_id = ?',
    )
      .bind(res.body.client_id)
      .first()
    expect(row).toEqual({
      client_secret_hash: sha256Hex(res.body.client_secret),
      registration_token_hash: sha256Hex(res.body.registration_access_token),
      registration: 'dynamic',
      client_type: 'confidential',
      user_id: null,
    })
  })

  it('a public client (none) gets no secret and completes the code flow with PKCE', async () => {
    const res = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })
    expect(res.status).toBe(201)
    expect(res.body.client_secret).toBeUndefined()
    expect(res.body.client_secret_expires_at).toBeUndefined()
    const row = (await findApplicationByClientId(db(), res.body.client_id))!
    const app: TestApp = { ...row, clientSecret: null }
    const { tokens } = await authorizationCodeFlow({ app, scope: 'read' })
    expect(tokens.scope).toBe('read')
  })

  it('client_credentials only with an initial access token: open registration cannot mint user-less tokens', async () => {
    const json = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' }
    const applicationsBefore = await db().$count(applications)
    const open = await register(json)
    expect({ status: open.status, body: open.body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_client_metadata',
        error_description: 'client_credentials is offered only to clients registered with an initial access token.',
      },
    })
    expect(await db().$count(applications)).toBe(applicationsBefore)
    const res = await registerVouched(json)
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] })
    const { client_id, client_secret } = res.body
    const ok = await tokenAt({ grant_type: 'client_credentials', client_id, client_secret })
    expect(ok.status).toBe(200)
    const wrong = await tokenAt({ grant_type: 'client_credentials', client_id, client_secret: `${client_secret}x` })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ error: 'invalid_client' })
  })

  const uri = (u: string) => ({ redirect_uris: [u] })
  it.each([
    ['an empty redirect_uris for the code grant', { redirect_uris: [] }, 'invalid_redirect_uri'],
    ['no redirect_uris', {}, 'invalid_redirect_uri'],
    ['a relative redirect URI', uri('/cb'), 'invalid_redirect_uri'],
    ['a fragment', uri('https://app.example/cb#x'), 'invalid_redirect_uri'],
    ['userinfo', uri('https://user:pw@app.example/cb'), 'invalid_redirect_uri'],
    ['plain http off loopback', uri('http://app.example/cb'), 'invalid_redirect_uri'],
    ['javascript:', uri('javascript:alert(1)'), 'invalid_redirect_uri'],
    ['data:', uri('data:text/html,hi'), 'invalid_redirect_uri'],
    ['a space inside', uri('https://app.example/a b'), 'invalid_redirect_uri'],
    ['a redirect URI that is not a string', { redirect_uris: [42] }, 'invalid_redirect_uri'],
    [
      'eleven redirect URIs',
      { redirect_uris: [...Array(11)].map((_, i) => `${REDIRECT}${i}`) },
      'invalid_redirect_uri',
    ],
    ['a URI of 2001 characters', uri(`https://app.example/${'a'.repeat(1981)}`), 'invalid_redirect_uri'],
    ['an unknown grant type', { ...uri(REDIRECT), grant_types: ['implicit'] }, 'invalid_client_metadata'],
    [
      'two grants',
      { ...uri(REDIRECT), grant_types: ['authorization_code', 'client_credentials'] },
      'invalid_client_metadata',
    ],
    ['response_type token', { ...uri(REDIRECT), response_types: ['token'] }, 'invalid_client_metadata'],
    [
      'an unknown auth method',
      { ...uri(REDIRECT), token_endpoint_auth_method: 'tls_client_auth' },
      'invalid_client_metadata',
    ],
    [
      'client_credentials without authentication',
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' },
      'invalid_client_metadata',
    ],
    ['a scope that is not a scope-token', { ...uri(REDIRECT), scope: 'read "admin"' }, 'invalid_client_metadata'],
    ['a client_name of 256 characters', { ...uri(REDIRECT), client_name: 'n'.repeat(256) }, 'invalid_client_metadata'],
    ['client_uri over http', { ...uri(REDIRECT), client_uri: 'http://app.example/' }, 'invalid_client_metadata'],
    ['contacts not strings', { ...uri(REDIRECT), contacts: [{}] }, 'invalid_client_metadata'],
    [
      'private_key_jwt without keys',
      { ...uri(REDIRECT), token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
    ],
    [
      'a private key in jwks',
      { ...uri(REDIRECT), jwks: { keys: [{ kty: 'EC', d: 'secret' }] } },
      'invalid_client_metadata',
    ],
    [
      'both jwks and jwks_uri',
      { ...uri(REDIRECT), jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://app.example/jwks' },
      'invalid_client_metadata',
    ],
    [
      'a jwks_uri on a private address',
      { ...uri(REDIRECT), jwks_uri: 'https://10.0.0.1/jwks' },
      'invalid_client_metadata',
    ],
    ['a JSON array', [REDIRECT], 'invalid_client_metadata'],
  ])('refuses %s: 400, nothing stored', async (_, body, error) => {
    const before = await env.DB.prepare('select count(*) as n from applications').first('n')
    const res = await register(body)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error, error_description: expect.any(String) })
    expect(res.body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/)
    expect(await env.DB.prepare('select count(*) as n from applications').first('n')).toBe(before)
  })

  it('refuses a body that is not JSON, or JSON sent as a form', async () => {
    const form = await call('/o/register/', { form: { redirect_uris: REDIRECT } }).then(read)
    expect(form.status).toBe(400)
    expect(form.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'Send the client metadata as application/json.',
    })
    const broken = await read(
      await callWith({}, '/o/register/', {
        method: 'POST',
        body: '{"redirect_uris": [',
        headers: { 'Content-Type': 'application/json' },
      }),
    )
    expect(broken.status).toBe(400)
  })

  it('ignores metadata it does not know, and answers only GET/PUT/DELETE on the client URI, POST here', async () => {
    const res = await register({ redirect_uris: [REDIRECT], software_id: 'x', tos_uri: 'https://x.example/' })
    expect(res.status).toBe(201)
    expect(res.body.software_id).toBeUndefined()
    const get = await call('/o/register/')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })
})

describe('who may register (CLIENT_REGISTRATION)', () => {
  const post = async (bindings: Partial<Env>, headers: Record<string, string> = {}) =>
    read(
      await callWith(bindings, '/o/register/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': nextIp(), ...headers },
        body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
      }),
    )

  it('off: 403, and discovery does not list registration_endpoint', async () => {
    const res = await post({ CLIENT_REGISTRATION: 'off' })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: 'access_denied',
      error_description: 'Dynamic client registration is switched off on this server.',
    })
    const md = await read(await callWith({ CLIENT_REGISTRATION: 'off' }, '/.well-known/oauth-authorization-server'))
    expect(md.body.registration_endpoint).toBeUndefined()
    // An unknown value fails closed.
    expect((await post({ CLIENT_REGISTRATION: 'opne' })).status).toBe(403)
  })

  it('initial-access-token: refused without a token, with a wrong or expired one; accepted with a live one', async () => {
    const live = 'iat-live-token-0123456789'
    const expired = 'iat-expired-token-0123456789'
    rememberSecret(live)
    rememberSecret(expired)
    const now = Math.floor(Date.now() / 1000)
    await env.DB.batch([
      env.DB.prepare('insert into initial_access_tokens (token_hash, expires_at) values (?, ?)').bind(
        sha256Hex(live),
        now + 600,
      ),
      env.DB.prepare('insert into initial_access_tokens (token_hash, expires_at) values (?, ?)').bind(
        sha256Hex(expired),
        now - 1,
      ),
    ])
    const policy = { CLIENT_REGISTRATION: 'initial-access-token' }
    const none = await post(policy)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    for (const token of ['wrong-token', expired]) {
      const res = await post(policy, { Authorization: `Bearer ${token}` })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
    }
    expect((await post(policy, { Authorization: `Bearer ${live}` })).status).toBe(201)
    // Unset: open only while the server itself is on loopback (npm start), by token anywhere else.
    expect((await post({ CLIENT_REGISTRATION: '' })).status).toBe(201)
    expect((await post({ CLIENT_REGISTRATION: '', ISSUER: 'https://auth.example.com' })).status).toBe(401)
  })

  it(`open: ${REGISTRATIONS_PER_WINDOW} registrations a minute per address, concurrent ones counted exactly`, async () => {
    const ip = '203.0.113.77'
    const results = await Promise.all(
      [...Array(REGISTRATIONS_PER_WINDOW + 5)].map(() =>
        register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, { 'CF-Connecting-IP': ip }),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(REGISTRATIONS_PER_WINDOW)
    const refused = results.find((r) => r.status === 429)!
    expect(refused.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringMatching(
        /^Too many registrations from this address; try again in \d+ seconds\.$/,
      ),
    })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another address is not affected.
    expect((await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).status).toBe(201)
  })
})

describe('/o/register/<client_id>/ (RFC 7592)', () => {
  async function registered() {
    const res = await register({ redirect_uris: [REDIRECT], client_name: 'Tool' })
    expect(res.status).toBe(201)
    return res.body as Record<string, string>
  }

  it('GET with the registration access token answers the client as stored, without secrets', async () => {
    const client = await registered()
    const res = await manage('GET', client.registration_client_uri!, client.registration_access_token!)
    expect(res.status).toBe(200)
    const { client_secret: _, registration_access_token: __, ...rest } = client
    expect(res.body).toEqual(rest)
  })

  it('refuses a wrong token, another client’s token, no token, and a client that is not dynamic: 401 alike', async () => {
    const a = await registered()
    const b = await registered()
    const wrong = await manage('GET', a.registration_client_uri!, `${a.registration_access_token}x`)
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect((await manage('GET', a.registration_client_uri!, b.registration_access_token!)).status).toBe(401)
    expect((await call(new URL(a.registration_client_uri!).pathname)).status).toBe(401)
    // State changed behind the server's back: the client is no longer marked dynamic.
    await env.DB.prepare("update applications set registration = 'manual' where client_id = ?").bind(a.client_id).run()
    expect((await manage('GET', a.registration_client_uri!, a.registration_access_token!)).status).toBe(401)
  })

  it('PUT replaces the metadata, keeps the secret, and rotates the token (the old one is spent)', async () => {
    const client = await registered()
    const other = 'http://127.0.0.1:8009/other'
    const res = await manage('PUT', client.registration_client_uri!, client.registration_access_token!, {
      client_id: client.client_id,
      redirect_uris: [other],
      client_name: 'Renamed',
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ client_id: client.client_id, redirect_uris: [other], client_name: 'Renamed' })
    expect(res.body.client_secret).toBeUndefined()
    expect(res.body.registration_access_token).not.toBe(client.registration_access_token)
    expect((await manage('GET', client.registration_client_uri!, client.registration_access_token!)).status).toBe(401)
    expect((await manage('GET', client.registration_client_uri!, res.body.registration_access_token)).status).toBe(200)
    const token = await tokenAt({ grant_type: 'refresh_token', refresh_token: 'nope' }, [
      client.client_id!,
      client.client_secret!,
    ])
    expect(token.body).toEqual({ error: 'invalid_grant' })
  })

  it('PUT must name the client and its current secret; concurrent PUTs with one token: exactly one applies', async () => {
    const client = await registered()
    const uri = client.registration_client_uri!
    const token = client.registration_access_token!
    const mismatch = await manage('PUT', uri, token, { client_id: 'other', redirect_uris: [REDIRECT] })
    expect(mismatch.status).toBe(400)
    expect(mismatch.body.error).toBe('invalid_client_metadata')
    const badSecret = await manage('PUT', uri, token, {
      client_id: client.client_id,
      client_secret: 'not-it',
      redirect_uris: [REDIRECT],
    })
    expect(badSecret.status).toBe(400)
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        manage('PUT', uri, token, { client_id: client.client_id, redirect_uris: [`${REDIRECT}${i}`] }),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401])
  })

  it('DELETE: 204, everything the client held ends, and the client is unknown everywhere', async () => {
    const res = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })
    const client = res.body
    const row = (await findApplicationByClientId(db(), client.client_id))!
    const { tokens } = await authorizationCodeFlow({ app: { ...row, clientSecret: null } })
    const second = await authorizationCodeFlow({ app: { ...row, clientSecret: null } })
    const del = await manage('DELETE', client.registration_client_uri, client.registration_access_token)
    expect(del.status).toBe(204)
    expect(del.body).toBeNull()
    expect((await manage('GET', client.registration_client_uri, client.registration_access_token)).status).toBe(401)
    // The access token from before is dead at once (not only its grant), and the refresh token too.
    expect((await call('/users/', { token: tokens.access_token })).status).toBe(401)
    expect((await call('/users/', { token: second.tokens.access_token })).status).toBe(401)
    const refresh = await tokenAt({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
    })
    expect(refresh.status).toBe(401)
    expect(refresh.body).toEqual({ error: 'invalid_client' })
    const page = await call(
      authorizeUrl({ response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, state: 's' }),
    )
    expect(page.status).toBe(400)
    expect(page.headers.get('location')).toBeNull()
  })

  it('DELETE racing DELETE or PUT with one token: exactly one succeeds', async () => {
    for (const rival of ['DELETE', 'PUT'] as const) {
      const res = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })
      const client = res.body
      const row = (await findApplicationByClientId(db(), client.client_id))!
      const { tokens } = await authorizationCodeFlow({ app: { ...row, clientSecret: null } })
      const uri = client.registration_client_uri
      const token = client.registration_access_token
      const update = { client_id: client.client_id, redirect_uris: [REDIRECT] }
      const [del, other] = await Promise.all([
        manage('DELETE', uri, token),
        manage(rival, uri, token, rival === 'PUT' ? update : undefined),
      ])
      const statuses = [del.status, other.status]
      if (rival === 'DELETE') expect(statuses.sort()).toEqual([204, 401])
      else
        expect([
          [204, 401],
          [401, 200],
        ]).toContainEqual(statuses)
      // Either DELETE may win a DELETE race; a PUT that wins leaves the DELETE 401.
      if (del.status === 204 || other.status === 204) {
        // The client and everything it held are gone.
        expect((await call('/users/', { token: tokens.access_token })).status).toBe(401)
        expect(await findApplicationByClientId(db(), client.client_id)).toBeUndefined()
      } else {
        // The update won: the client lives on under the rotated token only.
        expect((await manage('GET', uri, other.body.registration_access_token)).status).toBe(200)
        expect((await manage('GET', uri, token)).status).toBe(401)
      }
    }
  })
})

describe('CORS: browser-based clients register and manage themselves from any origin, without credentials', () => {
  const INSPECTOR = 'http://localhost:6274'
  const preflight = (path: string, method: string) =>
    call(path, {
      method: 'OPTIONS',
      headers: {
        Origin: INSPECTOR,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'content-type, authorization',
      },
    })
  const corsHeaders = (headers: Headers) => ({
    origin: headers.get('access-control-allow-origin'),
    credentials: headers.get('access-control-allow-credentials'),
    expose: headers.get('access-control-expose-headers'),
  })
  const READABLE = { origin: '*', credentials: null, expose: 'WWW-Authenticate,Retry-After,X-Request-Id' }

  it.each([
    ['/o/register/', 'POST', 'POST'],
    ['/o/register/some-client/', 'PUT', 'GET,PUT,DELETE'],
    ['/o/register/some-client/', 'DELETE', 'GET,PUT,DELETE'],
  ])('preflight of %s for %s: 204 allowing %s with Authorization and Content-Type', async (path, method, allowed) => {
    const res = await preflight(path, method)
    expect(res.status).toBe(204)
    expect({
      ...corsHeaders(res.headers),
      methods: res.headers.get('access-control-allow-methods'),
      headers: res.headers.get('access-control-allow-headers'),
      maxAge: res.headers.get('access-control-max-age'),
    }).toEqual({ ...READABLE, methods: allowed, headers: 'Authorization,Content-Type', maxAge: '600' })
    expect(await res.text()).toBe('')
  })

  it('registration, its errors, and every RFC 7592 answer are readable cross-origin; no request needs a cookie', async () => {
    const headers = { Origin: INSPECTOR }
    const created = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, headers)
    expect([created.status, corsHeaders(created.headers)]).toEqual([201, READABLE])
    const bad = await register({ redirect_uris: ['javascript:alert(1)'] }, headers)
    expect([bad.status, bad.body.error, corsHeaders(bad.headers)]).toEqual([400, 'invalid_redirect_uri', READABLE])

    const uri = new URL(created.body.registration_client_uri).pathname
    const token = created.body.registration_access_token
    const at = (method: string, bearer: string, json?: unknown) =>
      call(uri, { method, headers, token: bearer, json }).then(read)
    const wrong = await at('GET', 'not-the-token')
    expect([wrong.status, wrong.headers.get('www-authenticate'), corsHeaders(wrong.headers)]).toEqual([
      401,
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."',
      READABLE,
    ])
    const got = await at('GET', token)
    expect([got.status, corsHeaders(got.headers)]).toEqual([200, READABLE])
    const put = await at('PUT', token, { client_id: created.body.client_id, redirect_uris: [REDIRECT] })
    expect([put.status, corsHeaders(put.headers)]).toEqual([200, READABLE])
    const del = await at('DELETE', put.body.registration_access_token)
    expect([del.status, corsHeaders(del.headers)]).toEqual([204, READABLE])
  })

  it('the 429 of the per-address limit is readable, with its Retry-After exposed', async () => {
    const ip = `203.0.113.77-${Date.now()}`
    const headers = { Origin: INSPECTOR, 'CF-Connecting-IP': ip }
    const json = { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }
    for (let i = 0; i < REGISTRATIONS_PER_WINDOW; i++) await register(json, headers)
    const refused = await register(json, headers)
    expect([refused.status, corsHeaders(refused.headers)]).toEqual([429, READABLE])
    expect(refused.headers.get('retry-after')).toMatch(/^[0-9]+$/)
  })
})

describe('discovery', () => {
  it('lists the registration endpoint', async () => {
    const md = await read(await call('/.well-known/openid-configuration'))
    expect(md.body.registration_endpoint).toBe(`${ORIGIN}/o/register/`)
  })

  it('a registered secret works with Basic', async () => {
    const res = await registerVouched({ grant_types: ['client_credentials'] })
    const ok = await call('/o/token/', {
      form: { grant_type: 'client_credentials' },
      headers: { Authorization: basicAuth(res.body.client_id, res.body.client_secret) },
    })
    expect(ok.status).toBe(200)
  })
})
