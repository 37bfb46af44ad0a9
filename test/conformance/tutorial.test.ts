// The tutorial's whole session, in order, against the answers django-oauth-toolkit 1.7 gave
// (shared/reference steps 001–028), with this project's deliberate differences noted inline.
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { createApplication, createGroup, createUser, PASSWORD } from '../helpers/seed'

const TOKEN_BODY = (scope: string) => ({
  access_token: expect.any(String),
  token_type: 'Bearer',
  expires_in: 36000,
  refresh_token: expect.any(String),
  scope,
})
const USER = {
  username: expect.any(String),
  email: expect.any(String),
  first_name: expect.any(String),
  last_name: expect.any(String),
}
const DENIED = { detail: 'You do not have permission to perform this action.' }

describe('the tutorial, step by step', () => {
  it('answers every request as the reference does', async () => {
    await createUser({ username: 'admin', email: 'admin@example.com', isStaff: true, isSuperuser: true })
    const alice = await createUser({
      username: 'alice',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
    })
    const bob = await createUser({ username: 'bob', email: 'bob@example.com', firstName: 'Bob', lastName: 'Builder' })
    await createGroup('staff')
    await createGroup('editors')
    const app = await createApplication({ name: 'tutorial', authorizationGrantType: 'password' })
    const basic: [string, string] = [app.clientId, app.clientSecret!]
    const password = (extra: Record<string, string> = {}) =>
      call('/o/token/', {
        basic,
        form: { grant_type: 'password', username: 'alice', password: PASSWORD, ...extra },
      }).then(read)

    // 001: curl -X POST -d "grant_type=password&username=…&password=…" -u"id:secret" /o/token/
    const full = await password()
    expect(full).toMatchObject({ status: 200, body: TOKEN_BODY('read write groups') })
    const at = full.body.access_token

    // 002–005: users list, details, groups
    const list = await read(await call('/users/', { token: at }))
    expect(list.status).toBe(200)
    expect(list.body).toEqual([
      { username: 'admin', email: 'admin@example.com', first_name: '', last_name: '' },
      { username: 'alice', email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' },
      { username: 'bob', email: 'bob@example.com', first_name: 'Bob', last_name: 'Builder' },
    ])
    expect(await read(await call(`/users/${alice.id}/`, { token: at }))).toMatchObject({
      status: 200,
      body: list.body[1],
    })
    expect(await read(await call(`/users/${bob.id}/`, { token: at }))).toMatchObject({
      status: 200,
      body: list.body[2],
    })
    expect(await read(await call('/groups/', { token: at }))).toMatchObject({
      status: 200,
      body: [{ name: 'staff' }, { name: 'editors' }],
    })

    // 006–010: create users (form and JSON), duplicate and invalid input. Difference: the tutorial's
    // password "bar" is refused by Django's password validators (DOT's serializer applies none).
    expect(await read(await call('/users/', { token: at, form: { username: 'foo', password: 'bar' } }))).toMatchObject({
      status: 400,
      body: { password: ['This password is too short. It must contain at least 8 characters.'] },
    })
    expect(
      await read(await call('/users/', { token: at, form: { username: 'foo', password: 'bar baz qux' } })),
    ).toMatchObject({
      status: 201,
      body: { username: 'foo', email: '', first_name: '', last_name: '' },
    })
    expect(
      await read(await call('/users/', { token: at, form: { username: 'foo', password: 'bar baz qux' } })),
    ).toMatchObject({
      status: 400,
      body: { username: ['A user with that username already exists.'] },
    })
    const json = { username: 'foojson', email: 'foojson@example.com', first_name: 'Foo', last_name: 'Json' }
    expect(await read(await call('/users/', { token: at, json }))).toMatchObject({ status: 201, body: json })
    const after = await read(await call('/users/', { token: at }))
    expect(after.body).toHaveLength(5)
    for (const u of after.body) expect(u).toEqual(USER)

    // 011–013: refresh with the client credentials in the body; the old access token stops working
    const refreshed = await read(
      await call('/o/token/', {
        form: {
          grant_type: 'refresh_token',
          refresh_token: full.body.refresh_token,
          client_id: app.clientId,
          client_secret: app.clientSecret!,
        },
      }),
    )
    expect(refreshed).toMatchObject({ status: 200, body: TOKEN_BODY('read write groups') })
    expect((await call('/users/', { token: at })).status).toBe(401)
    expect((await call(`/users/${alice.id}/`, { token: refreshed.body.access_token })).status).toBe(200)

    // 018–022: a read-only token reads users, and is refused groups and user creation
    const read1 = await password({ scope: 'read' })
    expect(read1).toMatchObject({ status: 200, body: TOKEN_BODY('read') })
    const rt = read1.body.access_token
    expect((await call('/users/', { token: rt })).status).toBe(200)
    expect((await call(`/users/${alice.id}/`, { token: rt })).status).toBe(200)
    expect(await read(await call('/groups/', { token: rt }))).toMatchObject({ status: 403, body: DENIED })
    expect(await read(await call('/users/', { token: rt, form: { username: 'foo2', password: 'bar' } }))).toMatchObject(
      {
        status: 403,
        body: DENIED,
      },
    )

    // 023–028: groups-only and write-only tokens
    const groupsOnly = (await password({ scope: 'groups' })).body.access_token
    expect((await call('/groups/', { token: groupsOnly })).status).toBe(200)
    expect((await call('/users/', { token: groupsOnly })).status).toBe(403)
    const writeOnly = (await password({ scope: 'write' })).body.access_token
    expect((await call('/users/', { token: writeOnly })).status).toBe(403)
    expect(
      (await call('/users/', { token: writeOnly, form: { username: 'foo3', password: 'bar baz qux' } })).status,
    ).toBe(201)
  }, 60_000)
})
