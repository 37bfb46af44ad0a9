// Token introspection, POST /o/introspect/ (RFC 7662), against DOT 1.7's answers (steps 105-128).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, ORIGIN, read } from '../helpers/http'
import { clientCredentialsGrant, codeGrant, grant, postAs, refresh, type Granted } from '../helpers/grants'
import { createApplication, createResource } from '../helpers/seed'
import { sha256Hex } from '../../src/crypto/token'

const INACTIVE = { active: false }

/** A confidential client_credentials app: the usual resource server. */
const resourceServer = () => createApplication({ authorizationGrantType: 'client-credentials' })

function expectActive(body: Record<string, unknown>, expected: Record<string, unknown>) {
  expect(body).toEqual({
    active: true,
    token_type: 'Bearer',
    exp: expect.any(Number),
    iat: expect.any(Number),
    // RFC 8707: requested without `resource`, the token is for the built-in API (issue 12).
    aud: `${ORIGIN}/`,
    ...expected,
  })
  expect(body.exp).toBe((body.iat as number) + 36000)
  expect(Math.abs((body.iat as number) - Date.now() / 1000)).toBeLessThan(60)
}

describe('introspecting a live access token', () => {
  it('by client credentials in Basic (step 105) → every member, sub as a string', async () => {
    const { app, user, tokens } = await grant('password')
    const res = await postAs(app, '/o/introspect/', { token: tokens.access_token })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expectActive(res.body, {
      scope: 'read write groups',
      client_id: app.clientId,
      username: user.username,
      sub: String(user.id),
    })
  })

  it('by client credentials in the body (step 116)', async () => {
    const { app, tokens } = await grant('password', { scope: 'read' })
    const res = await read(
      await call('/o/introspect/', {
        form: { token: tokens.access_token, client_id: app.clientId, client_secret: app.clientSecret! },
      }),
    )
    expect(res.body).toMatchObject({ active: true, scope: 'read' })
  })

  it('by another client, as a resource server does (step 128)', async () => {
    const { app, user, tokens } = await grant('password')
    const res = await postAs(await resourceServer(), '/o/introspect/', { token: tokens.access_token })
    expectActive(res.body, {
      scope: 'read write groups',
      client_id: app.clientId,
      username: user.username,
      sub: String(user.id),
    })
  })

  it('a client_credentials token has no username or sub (step 127)', async () => {
    const { app, token } = await clientCredentialsGrant()
    const res = await postAs(await resourceServer(), '/o/introspect/', { token })
    expectActive(res.body, { scope: 'read write groups', client_id: app.clientId })
  })

  it('by a bearer token with the introspection scope', async () => {
    const { tokens } = await grant('password')
    const { token } = await clientCredentialsGrant('introspection')
    const res = await read(await call('/o/introspect/', { token, form: { token: tokens.access_token } }))
    expect(res).toMatchObject({ status: 200, body: { active: true, scope: 'read write groups' } })
  })

  it('a wrong token_type_hint still finds it (§2.1)', async () => {
    const { app, tokens } = await grant('password')
    const res = await postAs(app, '/o/introspect/', { token: tokens.access_token, token_type_hint: 'refresh_token' })
    expect(res.body.active).toBe(true)
  })
})

describe('anything else is {"active": false} and nothing more', () => {
  it.each([
    ['an unknown token (step 108)', async () => 'no-such-token'],
    [
      'an expired token (step 109)',
      async (s: Granted) => {
        const key = `access:${sha256Hex(s.tokens.access_token)}`
        const record = JSON.parse((await env.TOKENS.get(key))!)
        await env.TOKENS.put(key, JSON.stringify({ ...record, exp: Math.floor(Date.now() / 1000) - 1 }))
        return s.tokens.access_token
      },
    ],
    [
      'a revoked token (step 110)',
      async (s: Granted) => {
        await postAs(s.app, '/o/revoke_token/', { token: s.tokens.access_token })
        return s.tokens.access_token
      },
    ],
    ['a refresh token (step 111)', async (s: Granted) => s.tokens.refresh_token],
    [
      'a refresh token, hinted as one',
      async (s: Granted) => s.tokens.refresh_token,
      { token_type_hint: 'refresh_token' },
    ],
    [
      'an access token rotated out by a refresh',
      async (s: Granted) => {
        await refresh(s.app, s.tokens.refresh_token)
        return s.tokens.access_token
      },
    ],
    [
      'a token whose grant D1 revoked while KV still holds it (strongly consistent, unlike the bearer check)',
      async (s: Granted) => {
        await env.DB.prepare('update token_families set revoked_at = unixepoch() where access_hash = ?')
          .bind(sha256Hex(s.tokens.access_token))
          .run()
        return s.tokens.access_token
      },
    ],
  ] as const)('for %s', async (_, make, extra: Record<string, string> = {}) => {
    const s = await grant('password')
    const token = await make(s)
    const res = await postAs(s.app, '/o/introspect/', { token, ...extra })
    expect(res.status).toBe(200)
    expect(res.body).toEqual(INACTIVE)
  })
})

describe('introspection refusals', () => {
  it('a missing token → 400 invalid_request (DOT 1.7: active:false, step 112)', async () => {
    const { app } = await grant('password')
    const res = await postAs(app, '/o/introspect/', {})
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Missing token parameter.' })
  })

  it.each([
    ['no credentials (step 113)', {}],
    ['a wrong secret (step 114)', { basic: ['x', 'wrong'] as [string, string] }],
  ])('%s → 401 invalid_client, Basic challenge (RFC 7662 §2.3; DOT 1.7: 403)', async (_, opts) => {
    const { tokens } = await grant('password')
    const res = await read(await call('/o/introspect/', { ...opts, form: { token: tokens.access_token } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oauth"')
  })

  it('a public client cannot introspect: its client_id is no credential (RFC 7662 §4)', async () => {
    const { tokens } = await grant('password')
    const { app } = await codeGrant({ app: { clientType: 'public' } })
    const res = await read(
      await call('/o/introspect/', { form: { token: tokens.access_token, client_id: app.clientId } }),
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
  })

  it('a bearer token without introspection → 401 insufficient_scope (step 115; DOT 1.7: 403)', async () => {
    const { tokens } = await grant('password')
    const res = await read(
      await call('/o/introspect/', { token: tokens.access_token, form: { token: tokens.access_token } }),
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'The access token lacks the introspection scope.',
    })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the introspection scope.", scope="introspection"',
    )
  })

  // RFC 8707: a token asked for another resource is that resource's; with `introspection` in it,
  // that resource server could otherwise replay it here and read any token's owner and scope.
  it('a bearer token with introspection but for another resource (RFC 8707) → 401 invalid_token', async () => {
    const uri = await createResource({ scopes: 'mcp:tools' })
    const { app, token: asked } = await clientCredentialsGrant()
    const caller = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'client_credentials', scope: 'introspection mcp:tools', resource: uri },
      }),
    )
    expect(caller.body.scope).toBe('introspection mcp:tools')
    const res = await read(await call('/o/introspect/', { token: caller.body.access_token, form: { token: asked } }))
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is for another resource.' },
    })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is for another resource."',
    )
  })

  it('an unknown bearer token → 401 invalid_token', async () => {
    const res = await read(await call('/o/introspect/', { token: 'no-such-token', form: { token: 'x' } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."',
    )
  })

  it('GET → 405 with Allow: POST (DOT 1.7 answers GET, step 107)', async () => {
    const { app, tokens } = await grant('password')
    const res = await call(`/o/introspect/?token=${tokens.access_token}`, { basic: [app.clientId, app.clientSecret!] })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })
})
