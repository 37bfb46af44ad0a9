// Tokens of users deactivated or deleted behind the server's back (plain SQL, as in the D1
// console): every API route refuses them with 401 invalid_token, and writes nothing (issue 9 §3).
// The refresh grant's side is in test/oauth/token-refresh.test.ts.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { callWith } from '../helpers/faults'
import { call, RESOURCE_METADATA, read } from '../helpers/http'
import { codeGrant, grant, postAs } from '../helpers/grants'
import { unique } from '../helpers/seed'

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' }
const USERINFO_INVALID = 'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."'
// The API's 401s also name its RFC 9728 metadata.
const INVALID_TOKEN = `${USERINFO_INVALID}, ${RESOURCE_METADATA}`

const CHANGES = {
  'deactivated via SQL': (id: number) => env.DB.prepare('update users set is_active = 0 where id = ?').bind(id).run(),
  'deleted via SQL': (id: number) => env.DB.prepare('delete from users where id = ?').bind(id).run(),
}

const countUsersNamed = async (username: string) =>
  (await env.DB.prepare('select count(*) as n from users where username = ?').bind(username).first<{ n: number }>())!.n

type Request = { method: string; path: (ownId: number) => string; body?: string; type?: string; paged?: boolean }

/**
 * Every API route and method, as a client sends it, with the status a live token gets (so each row
 * is known to get past the token check while the user is active).
 */
const ROUTES: Array<[string, Request, number]> = [
  ['GET /users/', { method: 'GET', path: () => '/users/' }, 200],
  ['GET /users/ with PAGE_SIZE', { method: 'GET', path: () => '/users/', paged: true }, 200],
  ['HEAD /users/', { method: 'HEAD', path: () => '/users/' }, 200],
  ['GET /users/<own pk>/', { method: 'GET', path: (id) => `/users/${id}/` }, 200],
  ['GET /users/<no such pk>/', { method: 'GET', path: () => '/users/999999999/' }, 404],
  ['GET /users/<not a pk>/', { method: 'GET', path: () => '/users/abc/' }, 404],
  ['POST /users/ (a valid user)', { method: 'POST', path: () => '/users/', body: 'valid' }, 201],
  ['POST /users/ (a field error)', { method: 'POST', path: () => '/users/', body: 'bad-email' }, 400],
  [
    'POST /users/ (JSON that does not parse)',
    { method: 'POST', path: () => '/users/', body: '{', type: 'application/json' },
    400,
  ],
  ['OPTIONS /users/', { method: 'OPTIONS', path: () => '/users/' }, 200],
  ['DELETE /users/', { method: 'DELETE', path: () => '/users/' }, 405],
  ['OPTIONS /users/<pk>/', { method: 'OPTIONS', path: (id) => `/users/${id}/` }, 200],
  ['PUT /users/<pk>/', { method: 'PUT', path: (id) => `/users/${id}/` }, 405],
  ['GET /groups/', { method: 'GET', path: () => '/groups/' }, 200],
  ['GET /groups/ with PAGE_SIZE', { method: 'GET', path: () => '/groups/', paged: true }, 200],
  ['HEAD /groups/', { method: 'HEAD', path: () => '/groups/' }, 200],
  ['OPTIONS /groups/', { method: 'OPTIONS', path: () => '/groups/' }, 200],
  ['POST /groups/', { method: 'POST', path: () => '/groups/' }, 405],
]

/** Sends `req` with `token`; a POST to /users/ creates a fresh username, returned for the write check. */
async function send(req: Request, ownId: number, token: string) {
  const username = unique('never')
  const bodies: Record<string, string> = {
    valid: new URLSearchParams({ username, password: 'a long enough passphrase' }).toString(),
    'bad-email': new URLSearchParams({ username, email: 'not-an-address' }).toString(),
  }
  const body = req.body === undefined ? undefined : (bodies[req.body] ?? req.body)
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
  if (body !== undefined) headers['Content-Type'] = req.type ?? 'application/x-www-form-urlencoded'
  const init = { method: req.method, headers, body }
  const res = await read(await callWith(req.paged ? { PAGE_SIZE: '2' } : {}, req.path(ownId), init))
  return { res, username }
}

describe.each(Object.entries(CHANGES))('a token of a user %s', (_, change) => {
  it.each(ROUTES)('%s → 401 invalid_token, and nothing written', async (_, req, liveStatus) => {
    const { user, token } = await grant('password', { scope: 'read write groups' })
    expect((await send(req, user.id, token)).res.status).toBe(liveStatus)

    await change(user.id)
    const { res, username } = await send(req, user.id, token)
    expect(res.status).toBe(401)
    expect(res.body).toEqual(req.method === 'HEAD' ? null : NOT_PROVIDED)
    expect(res.headers.get('www-authenticate')).toBe(INVALID_TOKEN)
    expect(await countUsersNamed(username)).toBe(0)
  })

  it('/o/userinfo/ refuses it, and introspection says it is not active', async () => {
    const { app, user, tokens } = await codeGrant({ scope: 'openid read' })
    const token = tokens.access_token
    expect((await postAs(app, '/o/introspect/', { token })).body.active).toBe(true)

    await change(user.id)
    const userinfo = await read(await call('/o/userinfo/', { token }))
    expect(userinfo.status).toBe(401)
    expect(userinfo.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
    expect(userinfo.headers.get('www-authenticate')).toBe(USERINFO_INVALID)
    expect((await postAs(app, '/o/introspect/', { token })).body).toEqual({ active: false })
  })
})

describe('a user deactivated, then reactivated', () => {
  it('gets their unexpired tokens back: deactivation by SQL suspends, it does not revoke', async () => {
    const { user, token } = await grant('password', { scope: 'read write groups' })
    await CHANGES['deactivated via SQL'](user.id)
    expect((await call('/users/', { token })).status).toBe(401)
    await env.DB.prepare('update users set is_active = 1 where id = ?').bind(user.id).run()
    expect((await call('/users/', { token })).status).toBe(200)
    expect((await call(`/users/${user.id}/`, { token })).status).toBe(200)
  })
})
