// The UserInfo endpoint (OpenID Connect Core §5.3): claims by scope, RFC 6750 refusals.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { codeGrant, userToken } from '../helpers/grants'
import { authorizationCodeFlow } from '../helpers/flows'
import { createResource } from '../helpers/seed'

const PERSON = { firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.com' }

describe('GET /o/userinfo/', () => {
  it.each([
    ['openid', {}],
    ['openid profile', { preferred_username: 'U', name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell' }],
    ['openid email', { email: 'alice@example.com', email_verified: false }],
    [
      'openid profile email read',
      {
        preferred_username: 'U',
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        email: 'alice@example.com',
        email_verified: false,
      },
    ],
  ])('with %j → the claims that scope releases', async (scope, claims) => {
    const { user, tokens } = await codeGrant({ scope, user: PERSON })
    for (const method of ['GET', 'POST']) {
      const res = await read(await call('/o/userinfo/', { method, token: tokens.access_token }))
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const expected = { sub: String(user.id), ...claims } as Record<string, unknown>
      if ('preferred_username' in expected) expected.preferred_username = user.username
      expect(res.body).toEqual(expected)
    }
  })

  it('leaves out claims the user has no value for', async () => {
    const { user, tokens } = await codeGrant({ scope: 'openid profile email', user: { email: '', firstName: 'Bob' } })
    const res = await read(await call('/o/userinfo/', { token: tokens.access_token }))
    expect(res.body).toEqual({
      sub: String(user.id),
      preferred_username: user.username,
      name: 'Bob',
      given_name: 'Bob',
    })
  })

  it('a token without openid → 403 insufficient_scope naming it', async () => {
    const res = await read(await call('/o/userinfo/', { token: await userToken() }))
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'The access token lacks the openid scope.',
    })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the openid scope.", scope="openid"',
    )
  })

  it.each([
    [
      'no token',
      {},
      401,
      'Bearer realm="api"',
      { error: 'invalid_request', error_description: 'Authentication credentials were not provided.' },
    ],
    [
      'an unknown token',
      { token: 'no-such-token' },
      401,
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."',
      { error: 'invalid_token', error_description: 'The access token is invalid.' },
    ],
    [
      'a malformed header',
      { headers: { Authorization: 'Bearer a b' } },
      400,
      'Bearer realm="api", error="invalid_request", error_description="The Authorization header is malformed."',
      { error: 'invalid_request', error_description: 'The Authorization header is malformed.' },
    ],
  ])('%s → %i with an RFC 6750 challenge and a JSON body', async (_, opts, status, challenge, body) => {
    const res = await read(await call('/o/userinfo/', opts))
    expect(res.status).toBe(status)
    expect(res.headers.get('www-authenticate')).toBe(challenge)
    expect(res.body).toEqual(body)
  })

  it('a token of a deactivated user → 401 invalid_token', async () => {
    const { user, tokens } = await codeGrant({ scope: 'openid' })
    await env.DB.prepare('update users set is_active = 0 where id = ?').bind(user.id).run()
    const res = await read(await call('/o/userinfo/', { token: tokens.access_token }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
  })

  it.each([
    ['its grant revoked', 'update token_families set revoked_at = 1 where user_id = ?'],
    ['its grant moved on to another access token', "update token_families set access_hash = 'x' where user_id = ?"],
  ])('a token whose grant was changed by plain SQL (%s) → 401 at once, its KV record untouched', async (_, sql) => {
    const { user, tokens } = await codeGrant({ scope: 'openid' })
    expect((await call('/o/userinfo/', { token: tokens.access_token })).status).toBe(200)
    await env.DB.prepare(sql).bind(user.id).run()
    const res = await read(await call('/o/userinfo/', { token: tokens.access_token }))
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is invalid.' },
    })
  })

  // RFC 8707 §2 / RFC 9068 §4: a token requested for another resource is that resource's, which
  // could otherwise replay it here and read the profile and email the user gave the client.
  it.each(['opaque', 'jwt'] as const)(
    'an %s token for another resource (RFC 8707), though it has openid profile email → 401 invalid_token',
    async (tokenFormat) => {
      const uri = await createResource({ scopes: 'mcp:tools', tokenFormat })
      const flow = await authorizationCodeFlow({
        scope: 'openid profile email mcp:tools',
        user: PERSON,
        extraParams: { resource: uri },
      })
      expect(flow.tokens.scope).toBe('openid profile email mcp:tools')
      const res = await read(await call('/o/userinfo/', { token: flow.tokens.access_token }))
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { error: 'invalid_token', error_description: 'The access token is for another resource.' },
      })
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The access token is for another resource."',
      )
    },
  )

  it.each(['PUT', 'DELETE'])('%s → 405 with Allow: GET, POST', async (method) => {
    const { tokens } = await codeGrant({ scope: 'openid' })
    const res = await call('/o/userinfo/', { method, token: tokens.access_token })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, POST')
  })
})
