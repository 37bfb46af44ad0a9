// What the bearer check costs in storage (issue 6): one KV read and no D1 query (none at all for a
// user's JWT at the API, whose grant the route's one statement checks, issue 14). The API's reads
// add only their own round trip, which also checks that the token's user still exists and is
// active (issue 9): a join in the one query, or one more statement in the route's batch. A refused
// token costs the KV read alone. And what a refresh costs: the calls docs/performance.md counts,
// so a change that adds a round trip shows here.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { callWith } from '../helpers/faults'
import { basicAuth, read } from '../helpers/http'
import { apiJwtGrant, grant, passwordSetup, passwordToken } from '../helpers/grants'
import { recordingD1, recordingKV } from '../helpers/recording'
import { unique } from '../helpers/seed'

async function recorded(path: string, token: string) {
  const { DB, calls: d1 } = recordingD1()
  const { TOKENS, calls: kv } = recordingKV()
  const res = await read(await callWith({ DB, TOKENS }, path, { headers: { Authorization: `Bearer ${token}` } }))
  return { status: res.status, kv, sql: [...d1.sql], runs: d1.runs, batches: d1.batches }
}

// The grant of a JWT read from its claims alone, checked with its user: live, with that token current.
const GRANT_IS_CURRENT =
  /\? is null or exists \(select 1 from "token_families" where \("token_families"\."id" = \? and "token_families"\."access_hash" = \? and "token_families"\."revoked_at" is null and "token_families"\."user_id" = "(actor|users)"\."id"\)\)/
    .source
// The one statement of GET /users/<pk>/: the token's user (and grant) joined to the user asked for.
const USER_SEEN_BY = new RegExp(
  `^select .* from "users" "actor" left join "users" on "users"\\."id" = \\? where \\("actor"\\."id" = \\? and \\(${GRANT_IS_CURRENT}\\)\\)$`,
)
// The check's own statement, first in a route's batch.
const ACTIVE_FLAG_AND_GRANT = new RegExp(
  `^select "is_active" from "users" where \\("users"\\."id" = \\? and \\(${GRANT_IS_CURRENT}\\)\\)$`,
)

describe('storage per bearer-protected request', () => {
  it('GET /users/<pk>/: one KV get for the token, then one select joining the token user to the user asked for', async () => {
    const { user, token } = await grant('password', { scope: 'read groups' })
    expect(await recorded(`/users/${user.id}/`, token)).toEqual({
      status: 200,
      kv: ['get access:'],
      sql: [expect.stringMatching(USER_SEEN_BY)],
      runs: 1,
      batches: [],
    })
  })

  it('GET /users/<pk>/ with a JWT access token (RFC 9068): no KV call at all, the same one select', async () => {
    const { user, token } = await apiJwtGrant()
    // The signature is checked locally; the select checks the user and, with them, that the grant
    // named in the token still has it as its current access token: a revoked JWT is refused at once.
    expect(await recorded(`/users/${user.id}/`, token)).toEqual({
      status: 200,
      kv: [],
      sql: [expect.stringMatching(USER_SEEN_BY)],
      runs: 1,
      batches: [],
    })
    await env.DB.prepare('update token_families set revoked_at = 1 where user_id = ?').bind(user.id).run()
    expect(await recorded(`/users/${user.id}/`, token)).toEqual({
      status: 401,
      kv: [],
      sql: [expect.stringMatching(USER_SEEN_BY)],
      runs: 1,
      batches: [],
    })
  })

  it('a JWT short of the scope: no KV call, the grant checked in one primary-key read before the 403', async () => {
    const { token } = await apiJwtGrant({ scope: 'groups' })
    expect(await recorded('/users/', token)).toEqual({
      status: 403,
      kv: [],
      sql: [expect.stringMatching(ACTIVE_FLAG_AND_GRANT)],
      runs: 1,
      batches: [],
    })
  })

  it('GET /users/ and GET /groups/ with a JWT access token: no KV call, the grant checked in the user check', async () => {
    const { token } = await apiJwtGrant({ scope: 'read groups' })
    expect(await recorded('/users/', token)).toMatchObject({ status: 200, kv: [], runs: 1, batches: [] })
    expect(await recorded('/groups/', token)).toEqual({
      status: 200,
      kv: [],
      sql: [
        expect.stringMatching(ACTIVE_FLAG_AND_GRANT),
        expect.stringMatching(/^select .* from "groups" order by "groups"\."id" asc$/),
      ],
      runs: 0,
      batches: [2],
    })
  })

  it('GET /users/<pk>/ refused for a deactivated user: the same KV get and the same one select', async () => {
    const { user, token } = await grant('password', { scope: 'read groups' })
    await env.DB.prepare('update users set is_active = 0 where id = ?').bind(user.id).run()
    expect(await recorded(`/users/${user.id}/`, token)).toEqual({
      status: 401,
      kv: ['get access:'],
      sql: [expect.stringMatching(USER_SEEN_BY)],
      runs: 1,
      batches: [],
    })
  })

  it('GET /users/ (plain list): one KV get and one statement, the user check inside it', async () => {
    const { user, token } = await grant('password', { scope: 'read groups' })
    const live = await recorded('/users/', token)
    const statement = expect.stringMatching(
      /^select .* from "users" where exists \(select 1 from "users" "actor" .*\) order by "users"\."id" asc$/,
    )
    expect(live).toEqual({
      status: 200,
      kv: ['get access:'],
      sql: [statement],
      runs: 1,
      batches: [],
    })
    await env.DB.prepare('update users set is_active = 0 where id = ?').bind(user.id).run()
    expect(await recorded('/users/', token)).toEqual({
      status: 401,
      kv: ['get access:'],
      sql: [statement],
      runs: 1,
      batches: [],
    })
  })

  it('GET /groups/: one KV get, then one batch of the user check and the list query', async () => {
    const { token } = await grant('password', { scope: 'read groups' })
    expect(await recorded('/groups/', token)).toEqual({
      status: 200,
      kv: ['get access:'],
      sql: [
        expect.stringMatching(ACTIVE_FLAG_AND_GRANT),
        expect.stringMatching(/^select .* from "groups" order by "groups"\."id" asc$/),
      ],
      runs: 0,
      batches: [2],
    })
  })

  it('POST /users/: one KV get, one batch of the user check and the username lookup, then the insert', async () => {
    const { token } = await grant('password', { scope: 'write' })
    const { DB, calls: d1 } = recordingD1()
    const { TOKENS, calls: kv } = recordingKV()
    const res = await read(
      await callWith({ DB, TOKENS }, '/users/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: unique('costly') }),
      }),
    )
    expect({ status: res.status, kv, sql: [...d1.sql], runs: d1.runs, batches: d1.batches }).toEqual({
      status: 201,
      kv: ['get access:'],
      sql: [
        expect.stringMatching(ACTIVE_FLAG_AND_GRANT),
        expect.stringMatching(/^select .* from "users" where "users"\."username" = \?$/),
        expect.stringMatching(/^insert into "users" .* on conflict \("users"\."username"\) do nothing returning .*$/),
      ],
      runs: 1,
      batches: [2],
    })
  })

  it.each([
    ['an unknown token', 'not-a-token'],
    ['a malformed header value', 'two words'],
  ])('refuses %s with at most one KV get and no D1 query', async (_, token) => {
    const { kv, sql, runs, status } = await recorded('/users/1/', token)
    expect(status).toBe(token.includes(' ') ? 400 : 401)
    expect(kv).toEqual(token.includes(' ') ? [] : ['get access:'])
    expect({ sql, runs }).toEqual({ sql: [], runs: 0 })
  })
})

describe('storage per refresh', () => {
  it('POST /o/token/ refresh_token: 1 D1 batch (of 5), 1 KV write, nothing else', async () => {
    const setup = await passwordSetup()
    const first = (await passwordToken(setup)).body
    const { DB, calls: d1 } = recordingD1()
    const { TOKENS, calls: kv } = recordingKV()
    const res = await read(
      await callWith({ DB, TOKENS }, '/o/token/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basicAuth(setup.app.clientId, setup.app.clientSecret!),
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token }).toString(),
      }),
    )
    expect({ status: res.status, kv, sql: [...d1.sql], runs: d1.runs, batches: d1.batches }).toEqual({
      status: 200,
      // No KV read: D1 finds the grant by the token's digest. Then the new access token's record,
      // and nothing else: the refresh token lives in D1 only, the old access token's record is
      // left to its TTL (every reader checks the grant in D1), and nothing is re-read.
      kv: ['put access:'],
      sql: [
        // One batch, one transaction: the client's row, the grant the token was issued for (its
        // current one, or a retired one) with its user, the registered resources it names
        // (RFC 8707; none here), and the retirement of the old token and the rotation, both
        // conditional on all that and on the client's credential.
        expect.stringMatching(/^select .* from "applications" where "applications"\."client_id" = \?$/),
        expect.stringMatching(
          /^select .* from "token_families" left join "users" on "users"\."id" = "token_families"\."user_id" where \("token_families"\."refresh_hash" = \? or "token_families"\."id" in \(select "family_id" from "retired_refresh_tokens" where \("retired_refresh_tokens"\."hash" = \? and "retired_refresh_tokens"\."expires_at" > \?\)\)\)$/,
        ),
        expect.stringMatching(
          /^select .* from "resources" where instr\(' ' \|\| coalesce\(\(\(select "resources" from "token_families" where .*\)\), ''\) .*\) > 0$/,
        ),
        expect.stringMatching(
          /^insert into "retired_refresh_tokens" \("hash", "family_id", "expires_at"\) select "refresh_hash" as "hash", "id", "expires_at" from "token_families" where \(\("token_families"\."refresh_hash" = \? and "token_families"\."application_id" = \(select "id" from "applications" where .*"applications"\."client_secret_hash" = \?.*\).*\) on conflict do nothing$/,
        ),
        expect.stringMatching(
          /^update "token_families" set .* where \("token_families"\."refresh_hash" = \? and "token_families"\."application_id" = \(select "id" from "applications" where .*"applications"\."client_secret_hash" = \?.*\).*\)$/,
        ),
      ],
      runs: 0,
      batches: [5],
    })
  })

  it('with a retry grace window, the batch still finds the grant by index: no statement scans the client’s grants', async () => {
    const setup = await passwordSetup()
    const first = (await passwordToken(setup)).body
    const { DB, calls: d1 } = recordingD1()
    const refreshWith = (token: string) =>
      callWith({ DB, REFRESH_TOKEN_GRACE_SECONDS: '30' }, '/o/token/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basicAuth(setup.app.clientId, setup.app.clientSecret!),
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
      })
    expect((await refreshWith(first.refresh_token)).status).toBe(200)
    // A retry within the window (the answer taken as lost) rotates again, in the same one batch.
    expect((await refreshWith(first.refresh_token)).status).toBe(200)
    expect(d1.batches).toEqual([5, 5])
    // previous_refresh_hash has no index: a condition on it alone would have D1 read every grant of
    // the client (application_id) in the batch's write transaction, on every refresh.
    const plans = await Promise.all(
      [...d1.sql]
        .filter((sql) => sql.includes('"token_families"'))
        .map(async (sql) => {
          const params = Array.from({ length: sql.split('?').length - 1 }, () => null)
          const { results } = await env.DB.prepare(`explain query plan ${sql}`)
            .bind(...params)
            .all<{ detail: string }>()
          return results.map((r) => r.detail).join('; ')
        }),
    )
    expect(plans).toHaveLength(4)
    for (const plan of plans) {
      expect(plan).not.toMatch(/token_families_app_idx|SCAN token_families/)
    }
  })
})
