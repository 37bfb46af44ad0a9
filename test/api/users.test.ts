// The users API as the tutorial's DRF views answer it: shapes, validation, errors, redirects.
import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { call, read } from '../helpers/http'
import { passwordSetup, passwordToken } from '../helpers/password-flow'
import { createApplication, createUser, unique } from '../helpers/seed'

async function token(scope = 'read write groups') {
  const res = await passwordToken(await passwordSetup(), { scope })
  return res.body.access_token as string
}

const userJson = { username: expect.any(String), email: expect.any(String), first_name: expect.any(String), last_name: expect.any(String) }

describe('GET /users/', () => {
  it('lists every user in the tutorial shape, with DRF’s Allow header', async () => {
    await createUser({ username: unique('alice'), firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.com' })
    const res = await read(await call('/users/', { token: await token('read') }))
    expect(res.status).toBe(200)
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
    expect(res.body.length).toBeGreaterThanOrEqual(2)
    for (const u of res.body) expect(u).toEqual(userJson)
    expect(res.body).toContainEqual({ username: expect.stringMatching(/^alice/), email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' })
  })

  it('matches the Bearer scheme case-insensitively', async () => {
    const res = await call('/users/', { headers: { Authorization: `bearer ${await token()}` } })
    expect(res.status).toBe(200)
  })

  it('never reads a token from the query string (RFC 9700 §4.3.2; DOT 1.7 does)', async () => {
    const res = await read(await call(`/users/?access_token=${await token()}`))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
  })
})

describe('GET /users/<pk>/', () => {
  it('returns one user', async () => {
    const bob = await createUser({ username: unique('bob'), firstName: 'Bob', lastName: 'Builder', email: 'bob@example.com' })
    const res = await read(await call(`/users/${bob.id}/`, { token: await token('read') }))
    expect(res.status).toBe(200)
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    expect(res.body).toEqual({ username: bob.username, email: 'bob@example.com', first_name: 'Bob', last_name: 'Builder' })
  })

  it.each(['99999', 'abc', '0', '1.5', '-1'])('answers 404 {"detail": "Not found."} for pk %j', async (pk) => {
    const res = await read(await call(`/users/${pk}/`, { token: await token() }))
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })

  it('redirects the slash-less path to the slash form, keeping the query', async () => {
    const res = await call('/users/5?x=1')
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/users/5/?x=1')
  })

  it.each(['PUT', 'PATCH', 'DELETE'])('%s is 405 after authentication', async (method) => {
    const t = await token()
    const res = await read(await call('/users/1/', { method, token: t, form: { username: 'x' } }))
    expect(res.status).toBe(405)
    expect(res.body).toEqual({ detail: `Method "${method}" not allowed.` })
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    const anonymous = await read(await call('/users/1/', { method }))
    expect(anonymous.status).toBe(401)
  })
})

describe('POST /users/', () => {
  it('creates a user from a form body, as the tutorial does, and the password signs in', async () => {
    const username = unique('foo')
    const res = await read(await call('/users/', { token: await token('write'), form: { username, password: 'bar' } }))
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ username, email: '', first_name: '', last_name: '' })
    const app = await createApplication()
    const login = await read(
      await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'password', username, password: 'bar' } }),
    )
    expect(login.status).toBe(200)
    const row = await env.DB.prepare('select password from users where username = ?').bind(username).first<{ password: string }>()
    expect(row!.password).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$/)
  })

  it('creates a user from a JSON body', async () => {
    const username = unique('foojson')
    const json = { username, email: 'foojson@example.com', first_name: 'Foo', last_name: 'Json' }
    const res = await read(await call('/users/', { token: await token(), json }))
    expect(res).toMatchObject({ status: 201, body: json })
  })

  it('a user created without a password cannot sign in with any', async () => {
    const username = unique('nopw')
    await call('/users/', { token: await token(), form: { username } })
    const app = await createApplication()
    for (const password of ['', '!', 'x']) {
      const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'password', username, password } }))
      expect(res.status).toBe(400)
    }
  })

  it('refuses a duplicate username', async () => {
    const t = await token()
    const username = unique('dup')
    expect((await call('/users/', { token: t, form: { username } })).status).toBe(201)
    const res = await read(await call('/users/', { token: t, form: { username } }))
    expect(res).toEqual(expect.objectContaining({ status: 400, body: { username: ['A user with that username already exists.'] } }))
  })

  it('of concurrent creations of one username, exactly one is 201', async () => {
    const t = await token()
    const username = unique('race')
    const results = await Promise.all(Array.from({ length: 8 }, () => call('/users/', { token: t, form: { username } })))
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400])
  })

  it.each([
    [{ username: 'bad name!', email: 'not-an-email' }, {
      email: ['Enter a valid email address.'],
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    }],
    [{}, { username: ['This field is required.'] }],
    [{ username: '' }, { username: ['This field may not be blank.'] }],
    [{ username: 'x'.repeat(151) }, { username: ['Ensure this field has no more than 150 characters.'] }],
    [{ username: 'ok', first_name: 'y'.repeat(151) }, { first_name: ['Ensure this field has no more than 150 characters.'] }],
  ])('validates %j as DRF does', async (form, errors) => {
    const res = await read(await call('/users/', { token: await token(), form: form as Record<string, string> }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errors)
  })

  it.each([
    [{ username: null }, { username: ['This field may not be null.'] }],
    [{ username: ['a'] }, { username: ['Not a valid string.'] }],
    [{ username: true }, { username: ['Not a valid string.'] }],
  ])('validates JSON %j', async (json, errors) => {
    const res = await read(await call('/users/', { token: await token(), json }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errors)
  })

  const JSON_TYPE = { 'Content-Type': 'application/json' }
  it.each([
    ['malformed JSON', JSON_TYPE, '{"username":', 400, { detail: 'JSON parse error - the request body is not valid JSON.' }],
    ['a JSON list', JSON_TYPE, '[1]', 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ['JSON null', JSON_TYPE, 'null', 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got null.'] }],
    ['an unsupported media type', { 'Content-Type': 'text/plain' }, 'username=x', 415, { detail: 'Unsupported media type "text/plain" in request.' }],
    // A type that is not plain ASCII without quotes is not echoed back, so nothing the client sent is reflected unescaped.
    ['a media type with a quote', { 'Content-Type': 'text/"x' }, 'username=x', 415, { detail: 'Unsupported media type in request.' }],
  ])('answers %s with a clear error and writes nothing', async (_, headers, body, status, answer) => {
    const t = await token()
    const before = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>()
    const res = await read(
      await (await import('cloudflare:workers')).exports.default.fetch(
        new Request('http://x/users/', { method: 'POST', headers: { ...headers, Authorization: `Bearer ${t}` }, body }),
      ),
    )
    expect(res.status).toBe(status)
    expect(res.body).toEqual(answer)
    const after = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>()
    expect(after!.n).toBe(before!.n)
  })
})
