// The users API as the tutorial's DRF views answer it: shapes, validation, errors, redirects.
import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { call, RESOURCE_METADATA, read } from '../helpers/http'
import { userToken } from '../helpers/grants'
import { createApplication, createUser, unique } from '../helpers/seed'
import { fullwidth } from '../helpers/spellings'
import { UNUSABLE_PASSWORD } from '../../src/crypto/password'

const userJson = {
  username: expect.any(String),
  email: expect.any(String),
  first_name: expect.any(String),
  last_name: expect.any(String),
}

describe('GET /users/', () => {
  it('lists every user in the tutorial shape, with DRF’s Allow header', async () => {
    await createUser({ username: unique('alice'), firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.com' })
    const res = await read(await call('/users/', { token: await userToken('read') }))
    expect(res.status).toBe(200)
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
    expect(res.body.length).toBeGreaterThanOrEqual(2)
    for (const u of res.body) expect(u).toEqual(userJson)
    expect(res.body).toContainEqual({
      username: expect.stringMatching(/^alice/),
      email: 'alice@example.com',
      first_name: 'Alice',
      last_name: 'Liddell',
    })
  })

  it('matches the Bearer scheme case-insensitively', async () => {
    const res = await call('/users/', { headers: { Authorization: `bearer ${await userToken()}` } })
    expect(res.status).toBe(200)
  })

  it('never reads a token from the query string (RFC 9700 §4.3.2; DOT 1.7 does)', async () => {
    const res = await read(await call(`/users/?access_token=${await userToken()}`))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", ${RESOURCE_METADATA}`)
  })
})

describe('GET /users/<pk>/', () => {
  it('returns one user', async () => {
    const bob = await createUser({
      username: unique('bob'),
      firstName: 'Bob',
      lastName: 'Builder',
      email: 'bob@example.com',
    })
    const res = await read(await call(`/users/${bob.id}/`, { token: await userToken('read') }))
    expect(res.status).toBe(200)
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    expect(res.body).toEqual({
      username: bob.username,
      email: 'bob@example.com',
      first_name: 'Bob',
      last_name: 'Builder',
    })
  })

  it.each(['99999', 'abc', '0', '1.5', '-1'])('answers 404 {"detail": "Not found."} for pk %j', async (pk) => {
    const res = await read(await call(`/users/${pk}/`, { token: await userToken() }))
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })

  it('redirects the slash-less path to the slash form, keeping the query', async () => {
    const res = await call('/users/5?x=1')
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/users/5/?x=1')
  })

  it.each(['PUT', 'PATCH', 'DELETE'])('%s is 405 after authentication', async (method) => {
    const t = await userToken()
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
    const res = await read(
      await call('/users/', { token: await userToken('write'), form: { username, password: 'bar baz qux' } }),
    )
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ username, email: '', first_name: '', last_name: '' })
    const app = await createApplication()
    const login = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'password', username, password: 'bar baz qux' },
      }),
    )
    expect(login.status).toBe(200)
    const row = await env.DB.prepare('select password from users where username = ?')
      .bind(username)
      .first<{ password: string }>()
    expect(row!.password).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$/)
  })

  it('creates a user from a JSON body', async () => {
    const username = unique('foojson')
    const json = { username, email: 'foojson@example.com', first_name: 'Foo', last_name: 'Json' }
    const res = await read(await call('/users/', { token: await userToken(), json }))
    expect(res).toMatchObject({ status: 201, body: json })
  })

  it('a user created without a password cannot sign in with any', async () => {
    const username = unique('nopw')
    await call('/users/', { token: await userToken(), form: { username } })
    const app = await createApplication()
    for (const password of ['', '!', 'x']) {
      const res = await read(
        await call('/o/token/', {
          basic: [app.clientId, app.clientSecret!],
          form: { grant_type: 'password', username, password },
        }),
      )
      expect(res.status).toBe(400)
    }
  })

  it('refuses a duplicate username', async () => {
    const t = await userToken()
    const username = unique('dup')
    expect((await call('/users/', { token: t, form: { username } })).status).toBe(201)
    const res = await read(await call('/users/', { token: t, form: { username } }))
    expect(res).toEqual(
      expect.objectContaining({ status: 400, body: { username: ['A user with that username already exists.'] } }),
    )
  })

  it('of concurrent creations of one username, exactly one is 201', async () => {
    const t = await userToken()
    const username = unique('race')
    const results = await Promise.all(
      Array.from({ length: 8 }, () => call('/users/', { token: t, form: { username } })),
    )
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400])
  })

  it.each([
    [
      { username: 'bad name!', email: 'not-an-email' },
      {
        email: ['Enter a valid email address.'],
        username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
      },
    ],
    [{}, { username: ['This field is required.'] }],
    [{ username: '' }, { username: ['This field may not be blank.'] }],
    [{ username: 'x'.repeat(151) }, { username: ['Ensure this field has no more than 150 characters.'] }],
    [
      { username: 'ok', first_name: 'y'.repeat(151) },
      { first_name: ['Ensure this field has no more than 150 characters.'] },
    ],
  ])('validates %j as DRF does', async (form, errors) => {
    const res = await read(await call('/users/', { token: await userToken(), form: form as Record<string, string> }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errors)
  })

  it.each([
    [{ username: null }, { username: ['This field may not be null.'] }],
    [{ username: ['a'] }, { username: ['Not a valid string.'] }],
    [{ username: true }, { username: ['Not a valid string.'] }],
  ])('validates JSON %j', async (json, errors) => {
    const res = await read(await call('/users/', { token: await userToken(), json }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errors)
  })

  const JSON_TYPE = { 'Content-Type': 'application/json' }
  it.each([
    [
      'malformed JSON',
      JSON_TYPE,
      '{"username":',
      400,
      { detail: 'JSON parse error - the request body is not valid JSON.' },
    ],
    [
      'a JSON list',
      JSON_TYPE,
      '[1]',
      400,
      { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
    ],
    ['JSON null', JSON_TYPE, 'null', 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got null.'] }],
    [
      'an unsupported media type',
      { 'Content-Type': 'text/plain' },
      'username=x',
      415,
      { detail: 'Unsupported media type "text/plain" in request.' },
    ],
    // A type that is not plain ASCII without quotes is not echoed back, so nothing the client sent is reflected unescaped.
    [
      'a media type with a quote',
      { 'Content-Type': 'text/"x' },
      'username=x',
      415,
      { detail: 'Unsupported media type in request.' },
    ],
  ])('answers %s with a clear error and writes nothing', async (_, headers, body, status, answer) => {
    const t = await userToken()
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

const TAKEN = { username: ['A user with that username already exists.'] }
const usersCount = async () => (await env.DB.prepare('select count(*) as n from users').first<{ n: number }>())!.n

describe('POST /users/ password validation (Django’s default validators, as the password change page)', () => {
  const SHORT = 'This password is too short. It must contain at least 8 characters.'
  const NUMERIC = 'This password is entirely numeric.'
  const SIMILAR = 'The password is too similar to the username.'

  // [case, the password for a username, the whole body]
  it.each<[string, (username: string) => string, object]>([
    ['"1": every problem, in Django’s order', () => '1', { password: [SHORT, NUMERIC] }],
    ['short', () => 'abc', { password: [SHORT] }],
    ['seven code points (an emoji is one character, as in Python)', () => 'pass😀wd', { password: [SHORT] }],
    ['long but digits only', () => '1234567890', { password: [NUMERIC] }],
    ['other scripts’ digits only', () => '١٢٣٤٥٦٧٨٩٠', { password: [NUMERIC] }],
    ['the username itself', (u) => u, { password: [SIMILAR] }],
    ['the username in other case', (u) => u.toUpperCase(), { password: [SIMILAR] }],
    ['close to the username (Django’s 0.7 similarity)', (u) => `${u}12`, { password: [SIMILAR] }],
    ['blank', () => '', { password: ['This field may not be blank.'] }],
    [
      'over 4096 characters',
      () => 'x'.repeat(4097),
      { password: ['Ensure this field has no more than 4096 characters.'] },
    ],
  ])('refuses %s with DRF’s field errors and writes nothing', async (_, passwordFor, body) => {
    const username = unique('pw')
    const t = await userToken()
    const before = await usersCount()
    const res = await read(await call('/users/', { token: t, json: { username, password: passwordFor(username) } }))
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body })
    expect(await usersCount()).toBe(before)
  })

  // UserAttributeSimilarityValidator: each attribute whole and in parts split on non-word characters.
  it.each<[string, Record<string, string>, string]>([
    [
      'the email address',
      { email: 'erin.brockovich@example.com', password: 'erin.brockovich@example.com' },
      'email address',
    ],
    ['a part of the email address', { email: 'brockovich@example.com', password: 'Brockovich1' }, 'email address'],
    ['the first name', { first_name: 'Maximilian', password: 'maximilian!' }, 'first name'],
    ['the last name', { last_name: 'Featherstonehaugh', password: 'Featherstonehaugh9' }, 'last name'],
  ])('refuses a password too similar to %s', async (_, fields, name) => {
    const t = await userToken()
    const before = await usersCount()
    const res = await read(await call('/users/', { token: t, json: { username: unique('sim'), ...fields } }))
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { password: [`The password is too similar to the ${name}.`] },
    })
    expect(await usersCount()).toBe(before)
  })

  it('lets a long passphrase that merely contains a short attribute through (Django’s length bound)', async () => {
    const res = await read(
      await call('/users/', {
        token: await userToken(),
        json: { username: unique('sim'), first_name: 'Al', password: 'al is fond of very long passphrases' },
      }),
    )
    expect(res.status).toBe(201)
  })

  it('lists username and password errors together', async () => {
    const res = await read(
      await call('/users/', { token: await userToken(), form: { username: 'bad name!', password: '1' } }),
    )
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: {
        username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
        password: [SHORT, NUMERIC],
      },
    })
  })

  it('the password stays optional: without one the user is created with an unusable password', async () => {
    const username = unique('nopassword')
    const res = await read(await call('/users/', { token: await userToken(), form: { username } }))
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: { username, email: '', first_name: '', last_name: '' },
    })
    const row = await env.DB.prepare('select password from users where username = ?')
      .bind(username)
      .first<{ password: string }>()
    expect(row!.password).toBe(UNUSABLE_PASSWORD)
  })
})

describe('POST /users/ username normalisation (NFKC, as Django’s normalize_username)', () => {
  // [what is posted, what NFKC makes of it]; each gets a unique ASCII tail.
  const SPELLINGS: [string, string, string][] = [
    ['fullwidth letters', fullwidth('admin'), 'admin'],
    ['the "ﬁ" ligature', 'ﬁle', 'file'],
    ['superscript and subscript digits', 'user²₃', 'user23'],
    ['a circled digit', 'agent①', 'agent1'],
    ['a roman numeral', 'louisⅨ', 'louisIX'],
    ['a black-letter capital', 'ℌello', 'Hello'],
    ['a unit symbol', '㎏', 'kg'],
    ['halfwidth katakana', 'ｶﾀｶﾅ', 'カタカナ'],
    ['a letter and its combining accent', 'cafe\u0301', 'café'],
  ]

  it.each(SPELLINGS)('%s: taken when the normalised name exists', async (_, posted, normalised) => {
    const tail = unique('_n')
    const existing = await createUser({ username: `${normalised}${tail}` })
    const t = await userToken()
    const before = await usersCount()
    const res = await read(await call('/users/', { token: t, form: { username: `${posted}${tail}` } }))
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: TAKEN })
    expect(await usersCount()).toBe(before)
    expect(existing.username).toBe(`${normalised}${tail}`)
  })

  it.each(SPELLINGS)('%s: created, stored and listed normalised otherwise', async (_, posted, normalised) => {
    const tail = unique('_n')
    const t = await userToken()
    const res = await read(
      await call('/users/', { token: t, json: { username: `${posted}${tail}`, password: 'a good passphrase' } }),
    )
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: { username: `${normalised}${tail}`, email: '', first_name: '', last_name: '' },
    })
    const rows = await env.DB.prepare('select username from users where username in (?, ?)')
      .bind(`${posted}${tail}`, `${normalised}${tail}`)
      .all()
    expect(rows.results).toEqual([{ username: `${normalised}${tail}` }])
    const list = await read(await call('/users/', { token: t }))
    expect(list.body).toContainEqual({ username: `${normalised}${tail}`, email: '', first_name: '', last_name: '' })
    expect(list.body).not.toContainEqual(expect.objectContaining({ username: `${posted}${tail}` }))
    // The posted spelling, and the plain one, are now taken.
    for (const username of [`${posted}${tail}`, `${normalised}${tail}`]) {
      const again = await read(await call('/users/', { token: t, form: { username } }))
      expect({ status: again.status, body: again.body }).toEqual({ status: 400, body: TAKEN })
    }
  })

  it.each([
    // U+FDFA is one character that NFKC spells in 18, with spaces: 9 of them are 162 characters.
    ['a name NFKC makes too long', 'ﷺ'.repeat(9), { username: ['Ensure this field has no more than 150 characters.'] }],
    [
      'a name NFKC gives a space (ideographic space inside)',
      'a\u3000b',
      {
        username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
      },
    ],
  ])('judges the normalised form: %s', async (_, username, body) => {
    const t = await userToken()
    const before = await usersCount()
    const res = await read(await call('/users/', { token: t, json: { username } }))
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body })
    expect(await usersCount()).toBe(before)
  })

  it('counts the length after normalisation: 150 accented letters, each posted decomposed (300 code points), fit', async () => {
    const username = 'e\u0301'.repeat(150)
    const res = await read(await call('/users/', { token: await userToken(), json: { username } }))
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: { username: 'é'.repeat(150), email: '', first_name: '', last_name: '' },
    })
  })

  it('of concurrent creations of two spellings of one name, exactly one is 201', async () => {
    const t = await userToken()
    const name = unique('racer')
    const spellings = [name, fullwidth(name)]
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('/users/', { token: t, form: { username: spellings[i % 2]! } }).then(read),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400])
    for (const r of results.filter((r) => r.status === 400)) expect(r.body).toEqual(TAKEN)
    const rows = await env.DB.prepare('select username from users where username in (?, ?)')
      .bind(name, fullwidth(name))
      .all()
    expect(rows.results).toEqual([{ username: name }])
  })
})
