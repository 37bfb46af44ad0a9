/**
 * RFC 9728 for the built-in users/groups API (issue 12): the protected resource metadata document
 * at exactly the URL §3.1 derives from the API's resource URI, and `resource_metadata` naming it in
 * every 401 of the API, while a 403 keeps naming the missing scope (MCP's step-up).
 */
import { describe, expect, it } from 'vitest'
import { call, ORIGIN, read } from '../helpers/http'
import { passwordSetup, passwordToken } from '../helpers/grants'

const METADATA = `${ORIGIN}/.well-known/oauth-protected-resource`
const WITH_METADATA = `resource_metadata="${METADATA}"`

describe('GET /.well-known/oauth-protected-resource', () => {
  it('describes the API: resource, the issuer, its own scopes, header bearer tokens, its name', async () => {
    const res = await read(
      await call('/.well-known/oauth-protected-resource', { headers: { Origin: 'https://x.example' } }),
    )
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      resource: `${ORIGIN}/`,
      authorization_servers: [ORIGIN],
      scopes_supported: ['read', 'write', 'groups'],
      bearer_methods_supported: ['header'],
      resource_name: 'Users and groups API',
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
  })

  it.each([
    '/.well-known/oauth-protected-resource/',
    '/.well-known/oauth-protected-resource/other',
    '/.well-known/oauth-protected-resource/users/',
  ])('%s (no such resource here) is a plain 404, not a redirect', async (path) => {
    const res = await call(path)
    expect({ status: res.status, body: await res.text(), location: res.headers.get('location') }).toEqual({
      status: 404,
      body: '',
      location: null,
    })
  })

  it.each([
    '/.well-known/oauth-protected-resource%2F',
    '/.well-known/oauth-protected-resource/%2E',
    '/.well-known/oauth-protected-resource/./',
    '/.well-known/oauth%2Dprotected-resource',
    '/.well-known/%6Fauth-protected-resource',
    '/.well-known/OAUTH-PROTECTED-RESOURCE',
    '//.well-known/oauth-protected-resource',
  ])('%s, a spelling a normaliser could turn into the document’s path, is not the document', async (path) => {
    const res = await call(path)
    const location = res.headers.get('location')
    expect(res.status).not.toBe(200)
    expect(await res.text()).not.toContain('authorization_servers')
    // A slash-appending redirect may happen, but never to the document itself.
    if (location !== null) expect(new URL(location, ORIGIN).href).not.toBe(METADATA)
  })
})

describe('resource_metadata in the API’s challenges', () => {
  it('a request without a token: 401 naming the metadata', async () => {
    const res = await call('/users/')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", ${WITH_METADATA}`)
  })

  it('an invalid token: 401 invalid_token naming the metadata', async () => {
    const res = await call('/groups/', { token: 'not-a-token' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", error="invalid_token", error_description="The access token is invalid.", ${WITH_METADATA}`,
    )
  })

  it('a token without the scope: 403 insufficient_scope naming the scope, as before', async () => {
    const setup = await passwordSetup()
    const token = (await passwordToken(setup, { scope: 'read' })).body.access_token
    const res = await call('/groups/', { token })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api", error="insufficient_scope", scope="groups"')
  })

  it('the protocol endpoints’ challenges do not name the API’s metadata', async () => {
    const res = await call('/o/userinfo/')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).not.toContain('resource_metadata')
  })
})
