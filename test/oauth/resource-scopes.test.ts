/**
 * A resource's own scopes (issue 12): a registered resource defines scope names of its own
 * (`mcp:tools`), a request with `resource` may ask for them, validated against the union of the
 * requested resources' scopes; the client's registered `scope` (RFC 7591 §2) bounds every request;
 * consent given for (client, resources, scopes) is remembered; a refresh never widens.
 */
import { env, exports } from 'cloudflare:workers'
import { Hono } from 'hono'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { Browser, textOf } from '../helpers/browser'
import { authorizationCodeFlow, authorizeUrl, REDIRECT, redirectParams } from '../helpers/flows'
import { passwordSetup, passwordToken, postAs, refresh } from '../helpers/grants'
import { call, ORIGIN, read } from '../helpers/http'
import { createApplication, createResource, createUser, db, type TestApp } from '../helpers/seed'
import { findApplicationByClientId } from '../../src/store/applications'
import { type FetcherLike, type RequireAccessTokenOptions, requireAccessToken } from '../../src/resource-server'
import { storageSnapshot } from '../helpers/fuzz'

const API = `${ORIGIN}/`
const MCP_SCOPES = 'mcp:tools files:read'

const tokenBody = (scope: string, expiresIn = 36000) => ({
  access_token: expect.any(String),
  token_type: 'Bearer',
  expires_in: expiresIn,
  refresh_token: expect.any(String),
  scope,
})

const introspect = (token: string, app: TestApp) =>
  call('/o/introspect/', { basic: [app.clientId, app.clientSecret!], form: { token } }).then(read)

/** The password grant with `resource` repeated for each of `resources`. */
function passwordFor(setup: Awaited<ReturnType<typeof passwordSetup>>, resources: string[], scope?: string) {
  const form = new URLSearchParams({
    grant_type: 'password',
    username: setup.user.username,
    password: 'correct horse battery staple',
    ...(scope !== undefined && { scope }),
  })
  for (const r of resources) form.append('resource', r)
  return call('/o/token/', { basic: [setup.app.clientId, setup.app.clientSecret!], form: form.toString() }).then(read)
}

/** An application whose registration (RFC 7591) says `scope`. */
const registeredWith = (scope: string, overrides: Parameters<typeof createApplication>[0] = {}) =>
  createApplication({ clientMetadata: JSON.stringify({ redirect_uris: [REDIRECT], scope }), ...overrides })

describe('a resource’s own scopes at the token endpoint', () => {
  it('the password grant: a custom scope is granted, introspected, and carried as it is', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { resource: uri, scope: 'mcp:tools' })
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: tokenBody('mcp:tools') })
    expect((await introspect(res.body.access_token, setup.app)).body).toEqual({
      active: true,
      scope: 'mcp:tools',
      client_id: setup.app.clientId,
      username: setup.user.username,
      sub: String(setup.user.id),
      aud: uri,
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
    })
  })

  it('no scope: every scope of the resource, as the built-in API gets read write groups', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const res = await passwordToken(await passwordSetup(), { resource: uri })
    expect(res.body).toEqual(tokenBody(MCP_SCOPES))
  })

  it('several resources: the union of their scopes; the built-in API honours only its own', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const setup = await passwordSetup()
    const both = await passwordFor(setup, [uri, API], 'read mcp:tools')
    expect(both.body).toEqual(tokenBody('read mcp:tools'))
    expect((await call('/users/', { token: both.body.access_token })).status).toBe(200)
    const customOnly = await passwordFor(setup, [uri, API], 'mcp:tools')
    expect(customOnly.body).toEqual(tokenBody('mcp:tools'))
    const api = await read(await call('/users/', { token: customOnly.body.access_token }))
    expect({ status: api.status, body: api.body }).toEqual({
      status: 403,
      body: { detail: 'You do not have permission to perform this action.' },
    })
    expect(api.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(api.headers.get('www-authenticate')).toContain('scope="read"')
  })

  it.each([
    ['a resource scope without resource (the built-in API)', [], 'mcp:tools'],
    ['a scope no requested resource lists', ['mcp'], 'mcp:admin'],
    ['another resource’s scope', ['other'], 'mcp:tools'],
    ['a built-in API scope the resource does not list', ['mcp'], 'read'],
    ['one good, one not', ['mcp'], 'mcp:tools mcp:admin'],
    ['introspection for a user, though the resource lists it', ['reserved'], 'introspection'],
    ['openid outside the authorization code flow', ['mcp'], 'openid'],
    ['a name that is no scope-token', ['mcp'], 'mcp:"tools"'],
  ])('%s: invalid_scope (400 JSON), nothing stored', async (_, names, scope) => {
    const uris: Record<string, string> = {
      mcp: await createResource({ scopes: MCP_SCOPES }),
      other: await createResource({ scopes: 'other:thing' }),
      // Plain SQL: the CLI refuses to register a resource naming a scope of this server's own.
      reserved: await createResource({ scopes: 'introspection mcp:tools' }),
    }
    const setup = await passwordSetup()
    const before = await storageSnapshot()
    const res = await passwordFor(
      setup,
      names.map((n) => uris[n]!),
      scope,
    )
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await storageSnapshot()).toEqual(before)
  })

  it('client_credentials with a custom scope, as a JWT whose scope claim carries it', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES, tokenFormat: 'jwt' })
    const app = await createApplication({ authorizationGrantType: 'client-credentials' })
    const res = await postAs(app, '/o/token/', { grant_type: 'client_credentials', scope: 'files:read', resource: uri })
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      scope: 'files:read',
    })
    const jwks = (await read(await call('/o/.well-known/jwks.json'))).body
    const { payload } = await jwtVerify(res.body.access_token, createLocalJWKSet(jwks), {
      issuer: ORIGIN,
      audience: uri,
      typ: 'at+jwt',
    })
    expect(payload.scope).toBe('files:read')
  })

  it('the code flow: openid beside a resource’s scope, an id_token and a token for the resource', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const flow = await authorizationCodeFlow({ scope: 'openid mcp:tools', extraParams: { resource: uri } })
    expect(flow.tokens).toEqual({ ...tokenBody('openid mcp:tools'), id_token: expect.any(String) })
    expect((await introspect(flow.tokens.access_token, flow.app)).body.aud).toBe(uri)
  })

  it('discovery keeps listing this server’s own scopes; the API’s RFC 9728 document its three', async () => {
    await createResource({ scopes: 'custom:listed' })
    const metadata = (await read(await call('/o/.well-known/openid-configuration'))).body
    expect(metadata.scopes_supported).toEqual([
      'read',
      'write',
      'groups',
      'openid',
      'profile',
      'email',
      'introspection',
    ])
    const prm = (await read(await call('/.well-known/oauth-protected-resource'))).body
    expect(prm.scopes_supported).toEqual(['read', 'write', 'groups'])
  })
})

describe('a refresh never widens scopes or resources', () => {
  it('narrows to one custom scope; asking back a scope it was not granted is invalid_scope', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const setup = await passwordSetup()
    const first = await passwordToken(setup, { resource: uri, scope: 'mcp:tools' })
    const before = await storageSnapshot()
    const wider = await refresh(setup.app, first.body.refresh_token, { scope: 'mcp:tools files:read' })
    expect({ status: wider.status, body: wider.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect(await storageSnapshot()).toEqual(before)
    const same = await refresh(setup.app, first.body.refresh_token, { scope: 'mcp:tools' })
    expect(same.body).toEqual(tokenBody('mcp:tools'))
  })

  it('narrowed to one resource, a scope only the dropped one accepts is invalid_scope; the token still works', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const setup = await passwordSetup()
    const first = await passwordFor(setup, [uri, API], 'read mcp:tools')
    const before = await storageSnapshot()
    const refused = await refresh(setup.app, first.body.refresh_token, { resource: API, scope: 'mcp:tools' })
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect(await storageSnapshot()).toEqual(before)
    const toApi = await refresh(setup.app, first.body.refresh_token, { resource: API, scope: 'read' })
    expect(toApi.body).toEqual(tokenBody('read'))
    expect((await introspect(toApi.body.access_token, setup.app)).body.aud).toBe(API)
  })
})

describe('the client’s registered scope (RFC 7591 §2)', () => {
  it('the password grant: within it 200, beyond it invalid_scope with nothing stored, no scope narrows to it', async () => {
    const setup = { app: await registeredWith('read groups'), user: await createUser() }
    expect((await passwordToken(setup, { scope: 'read' })).body).toEqual(tokenBody('read'))
    expect((await passwordToken(setup)).body).toEqual(tokenBody('read groups'))
    const before = await storageSnapshot()
    const beyond = await passwordToken(setup, { scope: 'read write' })
    expect({ status: beyond.status, body: beyond.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect(await storageSnapshot()).toEqual(before)
  })

  it('client_credentials: a scope it did not register is invalid_scope', async () => {
    const app = await registeredWith('read', { authorizationGrantType: 'client-credentials' })
    const res = await postAs(app, '/o/token/', { grant_type: 'client_credentials', scope: 'introspection' })
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    const ok = await postAs(app, '/o/token/', { grant_type: 'client_credentials' })
    expect(ok.body.scope).toBe('read')
  })

  it('a registration narrowed later: a refresh asking for a scope no longer registered is invalid_scope', async () => {
    const setup = { app: await registeredWith('read write'), user: await createUser() }
    const first = await passwordToken(setup)
    await env.DB.prepare('update applications set client_metadata = ? where id = ?')
      .bind(JSON.stringify({ redirect_uris: [REDIRECT], scope: 'read' }), setup.app.id)
      .run()
    const refused = await refresh(setup.app, first.body.refresh_token, { scope: 'write' })
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect((await refresh(setup.app, first.body.refresh_token, { scope: 'read' })).body).toEqual(tokenBody('read'))
  })

  // Attacker review: the refresh that asks for no scope (the one D1 batch's fast path, and the classic
  // path when `resource` is sent) handed out the grant's whole scope past a narrowed registration.
  it('a registration narrowed later: a refresh without scope gets the grant’s scope within it', async () => {
    const setup = { app: await registeredWith('read write'), user: await createUser() }
    const first = await passwordToken(setup)
    expect(first.body.scope).toBe('read write')
    await env.DB.prepare('update applications set client_metadata = ? where id = ?')
      .bind(JSON.stringify({ redirect_uris: [REDIRECT], scope: 'read' }), setup.app.id)
      .run()
    const fast = await refresh(setup.app, first.body.refresh_token)
    expect({ status: fast.status, body: fast.body }).toEqual({ status: 200, body: tokenBody('read') })
    const classic = await refresh(setup.app, fast.body.refresh_token, { resource: API })
    expect({ status: classic.status, body: classic.body }).toEqual({ status: 200, body: tokenBody('read') })
    const introspected = await read(
      await call('/o/introspect/', {
        basic: [setup.app.clientId, setup.app.clientSecret!],
        form: { token: classic.body.access_token },
      }),
    )
    expect(introspected.body.scope).toBe('read')
  })

  it('a registration narrowed to none of the grant’s scopes: a refresh without scope is invalid_scope, nothing changes', async () => {
    const setup = { app: await registeredWith('read write'), user: await createUser() }
    const first = await passwordToken(setup, { scope: 'write' })
    await env.DB.prepare('update applications set client_metadata = ? where id = ?')
      .bind(JSON.stringify({ redirect_uris: [REDIRECT], scope: 'read' }), setup.app.id)
      .run()
    const before = await storageSnapshot()
    const refused = await refresh(setup.app, first.body.refresh_token)
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: { error: 'invalid_scope' } })
    expect(await storageSnapshot()).toEqual(before)
  })

  it('at authorize: beyond the registered scope is the invalid_scope redirect, no code stored', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const app = await registeredWith('mcp:tools', {
      authorizationGrantType: 'authorization-code',
      redirectUris: REDIRECT,
    })
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const before = await storageSnapshot()
    for (const scope of ['mcp:tools files:read', undefined]) {
      const query = {
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        state: 's',
        resource: uri,
      }
      const params = redirectParams(await browser.get(authorizeUrl({ ...query, scope: scope ?? 'read' })))
      expect([...params]).toEqual([
        ['error', 'invalid_scope'],
        ['state', 's'],
        ['iss', ORIGIN],
      ])
    }
    expect(await storageSnapshot()).toEqual(before)
    const flow = await authorizationCodeFlow({ app, browser, extraParams: { resource: uri } })
    expect(flow.tokens.scope).toBe('mcp:tools')
  })

  it('a consent form posted back with a wider scope than registered is the invalid_scope redirect, no code', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const app = await registeredWith('mcp:tools', {
      authorizationGrantType: 'authorization-code',
      redirectUris: REDIRECT,
    })
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const query = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 'f', resource: uri }
    const consent = await browser.get(authorizeUrl({ ...query, scope: 'mcp:tools' }))
    expect(consent.status).toBe(200)
    const before = await storageSnapshot()
    const forged = await browser.submit(consent, '/o/authorize/', { allow: 'Authorize', scope: MCP_SCOPES })
    expect([...redirectParams(forged)]).toEqual([
      ['error', 'invalid_scope'],
      ['state', 'f'],
      ['iss', ORIGIN],
    ])
    expect(await storageSnapshot()).toEqual(before)
  })

  it('dynamic registration takes a resource’s scope names and the client then gets them', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const registered = await read(
      await call('/o/register/', {
        json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', scope: 'mcp:tools' },
        headers: { 'CF-Connecting-IP': '203.0.113.77' },
      }),
    )
    expect(registered.status).toBe(201)
    expect(registered.body.scope).toBe('mcp:tools')
    const row = (await findApplicationByClientId(db(), registered.body.client_id))!
    const flow = await authorizationCodeFlow({ app: { ...row, clientSecret: null }, extraParams: { resource: uri } })
    expect(flow.tokens.scope).toBe('mcp:tools')
  })
})

describe('the consent page and remembered consent', () => {
  /** The same request again, with approval_prompt=auto, in the browser that consented. */
  function again(flow: { app: TestApp; browser: Browser }, resources: string[], scope: string, prompt = 'auto') {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: flow.app.clientId,
      redirect_uri: REDIRECT,
      scope,
      approval_prompt: prompt,
      state: 'again',
    })
    for (const r of resources) query.append('resource', r)
    return flow.browser.get(`/o/authorize/?${query}`)
  }

  it('names each resource with its scopes, a described scope by its description, a custom one by its name', async () => {
    const uri = await createResource({ name: 'Weather MCP', scopes: MCP_SCOPES })
    const flow = await authorizationCodeFlow({ scope: 'mcp:tools', extraParams: { resource: uri } })
    const query = new URLSearchParams({ response_type: 'code', client_id: flow.app.clientId, scope: 'read mcp:tools' })
    query.append('resource', uri)
    query.append('resource', API)
    const page = await flow.browser.get(`/o/authorize/?${query}`)
    expect(page.status, page.location ?? '').toBe(200)
    const text = textOf(page.html)
    expect(text).toContain('The application would be able to: Read scope (read) mcp:tools At:')
    expect(text).toContain(`Weather MCP (${uri}) with mcp:tools`)
    expect(text).toContain(`Users and groups API (${API}) with read`)
    expect(flow.tokens.scope).toBe('mcp:tools')
  })

  it('approval_prompt=auto skips consent for the same resource and scopes, or fewer', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const flow = await authorizationCodeFlow({ scope: MCP_SCOPES, extraParams: { resource: uri } })
    for (const scope of [MCP_SCOPES, 'mcp:tools']) {
      const params = redirectParams(await again(flow, [uri], scope))
      expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
  })

  it('asks again for a wider scope set, another or a wider resource set, or without auto', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const other = await createResource({ scopes: MCP_SCOPES })
    const flow = await authorizationCodeFlow({ scope: 'mcp:tools', extraParams: { resource: uri } })
    expect((await again(flow, [uri], MCP_SCOPES)).status).toBe(200)
    expect((await again(flow, [other], 'mcp:tools')).status).toBe(200)
    expect((await again(flow, [uri, other], 'mcp:tools')).status).toBe(200)
    expect((await again(flow, [], 'read')).status).toBe(200) // the built-in API was not consented to
    expect((await again(flow, [uri], 'mcp:tools', 'force')).status).toBe(200)
  })

  it('a grant for the built-in API and a resource covers each of them alone', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const flow = { app, browser }
    const consent = await again(flow, [uri, API], 'read mcp:tools', 'force')
    expect(consent.status).toBe(200)
    const answer = await browser.submit(consent, '/o/authorize/', { allow: 'Authorize' })
    const code = redirectParams(answer).get('code')!
    const exchanged = await postAs(app, '/o/token/', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
    expect(exchanged.body).toEqual(tokenBody('read mcp:tools'))
    expect(redirectParams(await again(flow, [uri], 'mcp:tools')).get('code')).toBeTruthy()
    expect(redirectParams(await again(flow, [], 'read')).get('code')).toBeTruthy()
    expect(redirectParams(await again(flow, [API], 'read')).get('code')).toBeTruthy()
  })

  it('a revoked grant no longer counts', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES })
    const flow = await authorizationCodeFlow({ scope: 'mcp:tools', extraParams: { resource: uri } })
    await call('/o/revoke_token/', {
      basic: [flow.app.clientId, flow.app.clientSecret!],
      form: { token: flow.tokens.refresh_token },
    })
    expect((await again(flow, [uri], 'mcp:tools')).status).toBe(200)
  })
})

describe('the resource-server kit with a custom scope, this server as its issuer', () => {
  // This Worker itself plays the Service Binding: discovery and the JWKS come from the code under test.
  const thisServer: FetcherLike = { fetch: (input, init) => exports.default.fetch(new Request(input, init)) }

  it('accepts a JWT carrying the scope it needs, and answers 403 insufficient_scope naming it otherwise', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES, tokenFormat: 'jwt' })
    const mcp = new Hono().all(
      '/mcp',
      requireAccessToken({ issuer: ORIGIN, audience: uri, scopes: ['mcp:tools'], fetcher: thisServer }),
      (c) => c.json({ scopes: c.get('accessToken').scopes }),
    )
    const setup = await passwordSetup()
    const call = async (scope: string) => {
      const token = (await passwordToken(setup, { resource: uri, scope })).body.access_token
      return mcp.request(uri, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })
    }
    const ok = await call('mcp:tools files:read')
    expect({ status: ok.status, body: await ok.json() }).toEqual({
      status: 200,
      body: { scopes: ['mcp:tools', 'files:read'] },
    })
    const refused = await call('files:read')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="insufficient_scope", .*scope="mcp:tools"/)
  })

  // Attacker review: under open registration (RFC 7591) anyone makes a client_credentials client and
  // gets a token for any resource with all its scopes, no user consenting; a resource whose tools act
  // for a user (the MCP example's) must not take it unless it says it serves clients on their own.
  it('refuses a token that acts for no user (client_credentials) unless told', async () => {
    const uri = await createResource({ scopes: MCP_SCOPES, tokenFormat: 'jwt' })
    // Registration refuses client_credentials under the open policy (client-registration.test.ts);
    // an operator's client_credentials client is the case left.
    const client = await createApplication({ authorizationGrantType: 'client-credentials' })
    const issued = await read(
      await call('/o/token/', {
        basic: [client.clientId, client.clientSecret!],
        form: { grant_type: 'client_credentials', resource: uri },
      }),
    )
    expect(issued.body.scope).toBe(MCP_SCOPES)
    const protectedBy = (extra: Partial<RequireAccessTokenOptions>) =>
      new Hono().all(
        '/mcp',
        requireAccessToken({ issuer: ORIGIN, audience: uri, scopes: ['mcp:tools'], fetcher: thisServer, ...extra }),
        (c) => c.json({ subject: c.get('accessToken').subject }),
      )
    const ask = (app: Hono) =>
      app.request(uri, { method: 'POST', headers: { Authorization: `Bearer ${issued.body.access_token}` } })
    const refused = await ask(protectedBy({}))
    expect({ status: refused.status, body: await refused.json() }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token acts for no user.' },
    })
    const taken = await ask(protectedBy({ acceptClientTokens: true }))
    expect({ status: taken.status, body: await taken.json() }).toEqual({
      status: 200,
      body: { subject: client.clientId },
    })
  })
})
