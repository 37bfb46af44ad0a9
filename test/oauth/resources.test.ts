/**
 * Resources and audiences (RFC 8707, issue 12) through HTTP: `resource` at the token endpoint for
 * every grant and at the authorization endpoint, the grant's resources narrowed and never widened,
 * `aud` in introspection, the built-in API refusing tokens for other resources, and each refusal
 * storing nothing.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { Browser, textOf } from '../helpers/browser'
import { codeGrant, clientCredentialsGrant, postAs, REDIRECT } from '../helpers/grants'
import { authorizationCodeFlow, authorizeUrl, redirectParams } from '../helpers/flows'
import { issueCode } from '../helpers/codes'
import { call, ORIGIN, read } from '../helpers/http'
import { passwordSetup, passwordToken, refresh } from '../helpers/grants'
import { createApplication, createUser, unique } from '../helpers/seed'
import { storageSnapshot } from '../helpers/fuzz'

/** The built-in API's resource URI in the tests: no API_RESOURCE, so the issuer's origin + "/". */
const API = `${ORIGIN}/`

type ResourceOptions = { name?: string; scopes?: string; tokenFormat?: 'opaque' | 'jwt'; lifetime?: number | null }

/** Registers a resource as the admin CLI does (plain SQL); its URI. */
async function registerResource(opts: ResourceOptions = {}): Promise<string> {
  const uri = `https://${unique('api').toLowerCase()}.example/mcp`
  await env.DB.prepare(
    'insert into resources (uri, name, scopes, token_format, access_token_expire_seconds) values (?, ?, ?, ?, ?)',
  )
    .bind(uri, opts.name ?? 'Test API', opts.scopes ?? '', opts.tokenFormat ?? 'opaque', opts.lifetime ?? null)
    .run()
  return uri
}

/** A form with `resource` repeated, as URLSearchParams keeps it. */
const withResources = (form: Record<string, string>, resources: string[]) => {
  const params = new URLSearchParams(form)
  for (const r of resources) params.append('resource', r)
  return params.toString()
}

const INTROSPECT_OK = (token: string, app: { clientId: string; clientSecret: string | null }) =>
  call('/o/introspect/', { basic: [app.clientId, app.clientSecret!], form: { token } }).then(read)

const invalidTarget = (description: string) => ({ error: 'invalid_target', error_description: description })
const UNKNOWN = invalidTarget('The resource is unknown or not allowed.')

describe('resource at the token endpoint', () => {
  it('a password grant for a registered resource: aud in introspection, refused by the built-in API', async () => {
    const uri = await registerResource()
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { resource: uri, scope: 'read' })
    expect(res.status).toBe(200)
    const introspected = await INTROSPECT_OK(res.body.access_token, setup.app)
    expect(introspected.body).toEqual({
      active: true,
      scope: 'read',
      client_id: setup.app.clientId,
      username: setup.user.username,
      sub: String(setup.user.id),
      aud: uri,
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
    })
    const api = await read(await call('/users/', { token: res.body.access_token }))
    expect(api.status).toBe(401)
    expect(api.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect(api.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="The access token is for another resource\."/,
    )
  })

  it('no resource: the built-in API, as before, and introspection names it', async () => {
    const setup = await passwordSetup()
    const res = await passwordToken(setup)
    expect((await call('/users/', { token: res.body.access_token })).status).toBe(200)
    expect((await INTROSPECT_OK(res.body.access_token, setup.app)).body.aud).toBe(API)
  })

  it('the built-in API named explicitly is the same as naming none', async () => {
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { resource: API })
    expect(res.status).toBe(200)
    expect((await call('/users/', { token: res.body.access_token })).status).toBe(200)
  })

  it('several resources: one token for all of them, the API among them accepts it', async () => {
    const uri = await registerResource()
    const app = await createApplication({ authorizationGrantType: 'client-credentials' })
    const body = withResources({ grant_type: 'client_credentials', scope: 'read' }, [uri, API])
    const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: body }))
    expect(res.status).toBe(200)
    const introspected = await INTROSPECT_OK(res.body.access_token, app)
    expect(introspected.body.aud).toEqual([uri, API])
  })

  it('a resource with a shorter lifetime gets it as expires_in', async () => {
    const uri = await registerResource({ lifetime: 300 })
    const setup = await passwordSetup()
    const res = await passwordToken(setup, { resource: uri })
    expect(res.body.expires_in).toBe(300)
    const introspected = (await INTROSPECT_OK(res.body.access_token, setup.app)).body
    expect(introspected.exp - introspected.iat).toBe(300)
  })

  it('a scope the resource does not accept is invalid_scope; the default narrows to what it accepts', async () => {
    const uri = await registerResource({ scopes: 'read' })
    const setup = await passwordSetup()
    const refused = await passwordToken(setup, { resource: uri, scope: 'read write' })
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({ error: 'invalid_scope' })
    const narrowed = await passwordToken(setup, { resource: uri })
    expect(narrowed.body.scope).toBe('read')
  })

  it.each([
    ['unknown', 'https://nowhere.example/api', UNKNOWN],
    ['relative', '/api', invalidTarget('Invalid resource parameter: it must be an absolute URI.')],
    ['with a fragment', `${API}#frag`, invalidTarget('Invalid resource parameter: it must not have a fragment.')],
    ['not a URI', 'not a uri', invalidTarget('Invalid resource parameter: it must be an absolute URI.')],
    ['empty', '', invalidTarget('Invalid resource parameter: it must be an absolute URI.')],
  ])('a %s resource is invalid_target (400 JSON), and nothing is stored', async (_, resource, body) => {
    const setup = await passwordSetup()
    const before = await storageSnapshot()
    const res = await passwordToken(setup, { resource })
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body })
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await storageSnapshot()).toEqual(before)
  })

  it('more than five resources is invalid_request', async () => {
    const app = await createApplication({ authorizationGrantType: 'client-credentials' })
    const many = Array.from({ length: 6 }, (_, i) => `https://r${i}.example/`)
    const before = await storageSnapshot()
    const res = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: withResources({ grant_type: 'client_credentials' }, many),
      }),
    )
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Too many resource parameters (at most 5).' },
    })
    expect(await storageSnapshot()).toEqual(before)
  })

  it('another repeated parameter is still refused', async () => {
    const app = await createApplication({ authorizationGrantType: 'client-credentials' })
    const res = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: 'grant_type=client_credentials&scope=read&scope=write',
      }),
    )
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Duplicate scope parameter.' })
  })
})

describe('refresh narrows, never widens', () => {
  it('a grant for two resources refreshes to one of them, and again to the other', async () => {
    const uri = await registerResource()
    const setup = await passwordSetup()
    const body = withResources(
      { grant_type: 'password', username: setup.user.username, password: 'correct horse battery staple' },
      [uri, API],
    )
    const first = await read(
      await call('/o/token/', { basic: [setup.app.clientId, setup.app.clientSecret!], form: body }),
    )
    expect(first.status).toBe(200)
    const toApi = await refresh(setup.app, first.body.refresh_token, { resource: API })
    expect(toApi.status).toBe(200)
    expect((await call('/users/', { token: toApi.body.access_token })).status).toBe(200)
    const toOther = await refresh(setup.app, toApi.body.refresh_token, { resource: uri })
    expect(toOther.status).toBe(200)
    expect((await INTROSPECT_OK(toOther.body.access_token, setup.app)).body.aud).toBe(uri)
    expect((await call('/users/', { token: toOther.body.access_token })).status).toBe(401)
    // Without `resource`: the grant's resources, all of them.
    const all = await refresh(setup.app, toOther.body.refresh_token)
    expect((await INTROSPECT_OK(all.body.access_token, setup.app)).body.aud).toEqual([uri, API])
  })

  it('a refresh asking for a resource outside the grant is invalid_target, and the refresh token still works', async () => {
    const uri = await registerResource()
    const setup = await passwordSetup()
    const first = await passwordToken(setup)
    const before = await storageSnapshot()
    const widened = await refresh(setup.app, first.body.refresh_token, { resource: uri })
    expect({ status: widened.status, body: widened.body }).toEqual({ status: 400, body: UNKNOWN })
    expect(await storageSnapshot()).toEqual(before)
    expect((await refresh(setup.app, first.body.refresh_token)).status).toBe(200)
  })

  it('a grant whose resource was deleted can no longer be refreshed', async () => {
    const uri = await registerResource()
    const setup = await passwordSetup()
    const first = await passwordToken(setup, { resource: uri })
    await env.DB.prepare('delete from resources where uri = ?').bind(uri).run()
    const res = await refresh(setup.app, first.body.refresh_token)
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: UNKNOWN })
  })
})

describe('resource at the authorization endpoint', () => {
  it('the consent page names the resource, the code carries it, the token is for it', async () => {
    const uri = await registerResource({ name: 'Weather MCP' })
    const flow = await authorizationCodeFlow({ scope: 'read', extraParams: { resource: uri } })
    expect(textOf(flow.consent.html)).toContain(`Weather MCP (${uri})`)
    expect((await INTROSPECT_OK(flow.tokens.access_token, flow.app)).body.aud).toBe(uri)
    expect((await call('/users/', { token: flow.tokens.access_token })).status).toBe(401)
  })

  it('without resource the consent page names the built-in API and the token works there', async () => {
    const flow = await authorizationCodeFlow({ scope: 'read' })
    expect(textOf(flow.consent.html)).toContain(`Users and groups API (${API})`)
    expect((await call('/users/', { token: flow.tokens.access_token })).status).toBe(200)
  })

  it.each([
    ['unknown', 'https://nowhere.example/', 'invalid_target'],
    ['with a fragment', 'https://x.example/#f', 'invalid_target'],
  ])('an %s resource is the invalid_target redirect, no code stored', async (_, resource, error) => {
    const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const before = await storageSnapshot()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's1', resource }),
    )
    const params = redirectParams(page)
    expect(params.get('error')).toBe(error)
    expect(params.get('state')).toBe('s1')
    expect(params.get('code')).toBeNull()
    expect(await storageSnapshot()).toEqual(before)
  })

  it('six resources is the invalid_request redirect', async () => {
    const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const query = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT })
    for (let i = 0; i < 6; i++) query.append('resource', `https://r${i}.example/`)
    const params = redirectParams(await browser.get(`/o/authorize/?${query}`))
    expect(params.get('error')).toBe('invalid_request')
    expect(params.get('error_description')).toBe('Too many resource parameters (at most 5).')
  })

  it('a code for two resources: the exchange may narrow to one; naming another burns the code', async () => {
    const uri = await registerResource()
    const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const user = await createUser()
    const code = await issueCode({
      applicationId: app.id,
      userId: user.id,
      redirectUri: REDIRECT,
      resources: `${uri} ${API}`,
    })
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }
    const narrowed = await postAs(app, '/o/token/', { ...exchange, resource: uri })
    expect(narrowed.status).toBe(200)
    expect((await INTROSPECT_OK(narrowed.body.access_token, app)).body.aud).toBe(uri)
    // The grant keeps both: a refresh to the API works.
    expect((await refresh(app, narrowed.body.refresh_token, { resource: API })).status).toBe(200)

    const other = await registerResource()
    const code2 = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT, resources: uri })
    const refused = await postAs(app, '/o/token/', { ...exchange, code: code2, resource: other })
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: UNKNOWN })
    // Burnt: the same code with a good resource is invalid_grant now.
    const retried = await postAs(app, '/o/token/', { ...exchange, code: code2 })
    expect(retried.body).toEqual({ error: 'invalid_grant' })
  })

  it('a code issued before resources existed (no resources column value) is for the built-in API', async () => {
    const { tokens, app } = await codeGrant({ scope: 'read' })
    expect((await call('/users/', { token: tokens.access_token })).status).toBe(200)
    expect((await INTROSPECT_OK(tokens.access_token, app)).body.aud).toBe(API)
  })
})

describe('client_credentials', () => {
  it('a token for a registered resource is refused by the built-in API and introspects with its aud', async () => {
    const uri = await registerResource()
    const { app } = await clientCredentialsGrant('read')
    const res = await postAs(app, '/o/token/', { grant_type: 'client_credentials', scope: 'read', resource: uri })
    expect(res.status).toBe(200)
    expect((await INTROSPECT_OK(res.body.access_token, app)).body).toEqual({
      active: true,
      scope: 'read',
      client_id: app.clientId,
      aud: uri,
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
    })
  })
})
