// List endpoints with PAGE_SIZE set answer as DRF's LimitOffsetPagination; unset, the tutorial's plain list.
import { describe, expect, it } from 'vitest'
import { callWith } from '../helpers/faults'
import { ORIGIN, read } from '../helpers/http'
import { userToken } from '../helpers/grants'
import { recordingD1 } from '../helpers/recording'
import { createGroup, createUser } from '../helpers/seed'

const PAGED = { PAGE_SIZE: '2', MAX_PAGE_SIZE: '3' }

/** A user token for `scope`, with at least six users and six groups in the database. */
async function seeded(scope = 'read groups') {
  for (let i = 0; i < 5; i++) await Promise.all([createUser(), createGroup()])
  return userToken(scope)
}

const get = async (token: string, path: string, bindings: Partial<Env> = PAGED) =>
  read(await callWith(bindings, path, { headers: { Authorization: `Bearer ${token}` } }))

/** Every row, in order, from the unpaginated list: what each page must be a slice of. */
const plainList = async (token: string, path: string) => (await get(token, path, { PAGE_SIZE: '' })).body as unknown[]

describe.each(['/users/', '/groups/'])('GET %s with PAGE_SIZE=2, MAX_PAGE_SIZE=3', (path) => {
  // [query, limit the server must use, offset, previous link's query or null]
  it.each([
    ['', 2, 0, null],
    ['?offset=1', 2, 1, '?limit=2'],
    ['?offset=2', 2, 2, '?limit=2'],
    ['?offset=3', 2, 3, '?limit=2&offset=1'],
    ['?limit=1&offset=2', 1, 2, '?limit=1&offset=1'],
    ['?limit=3', 3, 0, null],
    ['?limit=500', 3, 0, null],
    ['?limit=0', 2, 0, null],
    ['?limit=-1', 2, 0, null],
    ['?limit=two', 2, 0, null],
    ['?limit=', 2, 0, null],
    ['?offset=-4', 2, 0, null],
    ['?offset=x', 2, 0, null],
    ['?limit=1&limit=3', 3, 0, null],
    ['?limit=+1&offset=%201%20', 1, 1, '?limit=1'],
  ] as const)('answers %j with limit %i, offset %i', async (query, limit, offset, previous) => {
    const token = await seeded()
    const all = await plainList(token, path)
    const res = await get(token, `${path}${query}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      count: all.length,
      next: `${ORIGIN}${path}?limit=${limit}&offset=${offset + limit}`,
      previous: previous && `${ORIGIN}${path}${previous}`,
      results: all.slice(offset, offset + limit),
    })
  })

  it('has no next link on the last page', async () => {
    const token = await seeded()
    const all = await plainList(token, path)
    const res = await get(token, `${path}?offset=${all.length - 2}`)
    expect(res.body).toEqual({
      count: all.length,
      next: null,
      previous: `${ORIGIN}${path}?limit=2&offset=${all.length - 4}`,
      results: all.slice(-2),
    })
  })

  it('answers an empty page past the end, linking back', async () => {
    const token = await seeded()
    const all = await plainList(token, path)
    const res = await get(token, `${path}?offset=${all.length + 10}`)
    expect(res.body).toEqual({
      count: all.length,
      next: null,
      previous: `${ORIGIN}${path}?limit=2&offset=${all.length + 8}`,
      results: [],
    })
  })

  it('keeps other query parameters, sorted and re-encoded as DRF does', async () => {
    const token = await seeded()
    const all = await plainList(token, path)
    const res = await get(token, `${path}?z=1&search=a%20b~*&offset=2&a=x&a=y`)
    const others = 'a=x&a=y&search=a+b~%2A&z=1'
    expect(res.body).toEqual({
      count: all.length,
      next: `${ORIGIN}${path}?${others.slice(0, 7)}&limit=2&offset=4&${others.slice(8)}`,
      previous: `${ORIGIN}${path}?${others.slice(0, 7)}&limit=2&${others.slice(8)}`,
      results: all.slice(2, 4),
    })
  })
})

describe('pagination settings', () => {
  it('keeps the tutorial’s plain list when PAGE_SIZE is unset', async () => {
    const token = await seeded()
    const res = await get(token, '/users/?limit=1', { PAGE_SIZE: '' })
    expect(Array.isArray(res.body)).toBe(true)
    expect(res.body.length).toBeGreaterThanOrEqual(6)
  })

  it('is still behind the bearer check and the scope check', async () => {
    const token = await seeded('read')
    expect((await get('nope', '/users/')).status).toBe(401)
    expect(await get(token, '/groups/')).toMatchObject({ status: 403 })
  })

  it('reads one page and a COUNT(*) from D1, never the whole table, in one batch; the user check rides in the count', async () => {
    const token = await seeded()
    const { DB, calls } = recordingD1()
    const res = await get(token, '/users/?offset=1', { ...PAGED, DB })
    expect(res.body.results).toHaveLength(2)
    expect(calls.batches).toEqual([2])
    expect(calls.runs).toBe(0)
    expect([...calls.sql]).toEqual([
      expect.stringMatching(
        /^select count\(\*\) from "users" where exists \(select 1 from "users" "actor" where \("actor"\."id" = \? and "actor"\."is_active" = \? and \(\? is null or exists \(select 1 from "token_families" where \("token_families"\."id" = \? and "token_families"\."access_hash" = \? and "token_families"\."revoked_at" is null and "token_families"\."user_id" = "actor"\."id"\)\)\)\)\)$/,
      ),
      expect.stringMatching(/^select .* from "users" order by "users"\."id" asc limit \? offset \?$/),
    ])
  })
})
