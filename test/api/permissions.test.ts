// Who may call what: the tutorial's scope rules, and RFC 6750 challenges on refusal.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, RESOURCE_METADATA, read } from '../helpers/http'
import { userToken } from '../helpers/grants'
import { createGroup, unique } from '../helpers/seed'
import { sha256Hex } from '../../src/crypto/token'

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' }
const DENIED = { detail: 'You do not have permission to perform this action.' }

describe('scopes', () => {
  it.each([
    ['GET', '/users/', 'read', 200, null],
    ['GET', '/users/', 'write', 403, 'read'],
    ['GET', '/users/', 'groups', 403, 'read'],
    ['POST', '/users/', 'write', 201, null],
    ['POST', '/users/', 'read', 403, 'write'],
    ['GET', '/groups/', 'groups', 200, null],
    ['GET', '/groups/', 'read', 403, 'groups'],
    ['GET', '/groups/', 'read write', 403, 'groups'],
    ['GET', '/groups/', 'read groups', 200, null],
  ] as const)('%s %s with a %j token → %i', async (method, path, scope, status, needed) => {
    const form = method === 'POST' ? { username: unique('u') } : undefined
    const res = await read(await call(path, { method, token: await userToken(scope), form }))
    expect(res.status).toBe(status)
    if (needed) {
      expect(res.body).toEqual(DENIED)
      // RFC 6750 §3.1 (DOT 1.7 sends no challenge here).
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="api", error="insufficient_scope", scope="${needed}"`,
      )
    }
  })

  it('lists groups in the tutorial shape', async () => {
    const name = unique('staff')
    await createGroup(name)
    const res = await read(await call('/groups/', { token: await userToken('groups') }))
    expect(res.body).toContainEqual({ name })
    for (const g of res.body) expect(Object.keys(g)).toEqual(['name'])
  })

  it('POST /groups/ is 405', async () => {
    const res = await read(await call('/groups/', { token: await userToken('groups'), form: { name: 'x' } }))
    expect(res.status).toBe(405)
    expect(res.body).toEqual({ detail: 'Method "POST" not allowed.' })
  })
})

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['"Bearer" alone', 'Bearer'],
    ['another scheme', 'Basic eHl6'],
    // A malformed bearer value ("Bearer a b") is 400 invalid_request: test/auth/bearer-errors.test.ts.
  ])('%s → 401 with a bare challenge', async (_, header) => {
    for (const path of ['/users/', '/users/1/', '/groups/']) {
      const res = await read(await call(path, { headers: header ? { Authorization: header } : {} }))
      expect(res.status).toBe(401)
      expect(res.body).toEqual(NOT_PROVIDED)
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", ${RESOURCE_METADATA}`)
    }
  })

  it('an unknown token → 401 invalid_token', async () => {
    const res = await read(await call('/users/', { token: 'no-such-token' }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual(NOT_PROVIDED)
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", error="invalid_token", error_description="The access token is invalid.", ${RESOURCE_METADATA}`,
    )
  })

  it('an expired token → 401 invalid_token "has expired", even while KV still holds it', async () => {
    const t = await userToken('read groups')
    const key = `access:${sha256Hex(t)}`
    const record = JSON.parse((await env.TOKENS.get(key))!)
    await env.TOKENS.put(key, JSON.stringify({ ...record, exp: Math.floor(Date.now() / 1000) - 1 }))
    for (const path of ['/users/', '/groups/']) {
      const res = await read(await call(path, { token: t }))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="api", error="invalid_token", error_description="The access token has expired.", ${RESOURCE_METADATA}`,
      )
    }
  })

  it('unknown paths are 404 in the API format', async () => {
    const res = await read(await call('/nope/'))
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })
})
