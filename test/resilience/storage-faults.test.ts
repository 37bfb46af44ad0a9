// When D1 or KV fails part-way: 503 in the endpoint's format, no stack trace, and no half state.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/token'
import { callWith, faultyD1, faultyKV } from '../helpers/faults'
import { basicAuth, call, read } from '../helpers/http'
import { passwordSetup, passwordToken, refresh } from '../helpers/grants'
import { PASSWORD } from '../helpers/seed'

const countKeys = async (prefix: string) => (await env.TOKENS.list({ prefix })).keys.length
const countRows = async (table: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())!.n

function tokenRequest(form: Record<string, string>, authorization?: string): RequestInit {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' }
  if (authorization) headers.Authorization = authorization
  return { method: 'POST', headers, body: new URLSearchParams(form).toString() }
}

function expectUnavailableOAuth(res: { status: number; body: unknown; headers: Headers }) {
  expect(res.status).toBe(503)
  expect(res.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: 'The server could not complete the request.',
  })
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('retry-after')).toBe('1')
}

describe('storage faults', () => {
  it('the API answers 503 {"detail"} when KV fails', async () => {
    const { body } = await passwordToken(await passwordSetup())
    const res = await read(
      await callWith({ TOKENS: faultyKV(['get']) }, '/users/', {
        headers: { Authorization: `Bearer ${body.access_token}` },
      }),
    )
    expect(res.status).toBe(503)
    expect(res.body).toEqual({ detail: 'Service temporarily unavailable, try again later.' })
  })

  it('the token endpoint answers 503 temporarily_unavailable when D1 fails', async () => {
    const { app, user } = await passwordSetup()
    const res = await read(
      await callWith(
        { DB: faultyD1(/./) },
        '/o/token/',
        tokenRequest(
          { grant_type: 'password', username: user.username, password: PASSWORD },
          basicAuth(app.clientId, app.clientSecret!),
        ),
      ),
    )
    expectUnavailableOAuth(res)
  })

  it('a password grant whose token writes fail leaves no valid token behind', async () => {
    const { app, user } = await passwordSetup()
    const before = await countKeys('access:')
    const res = await read(
      await callWith(
        { TOKENS: faultyKV(['put']) },
        '/o/token/',
        tokenRequest(
          { grant_type: 'password', username: user.username, password: PASSWORD },
          basicAuth(app.clientId, app.clientSecret!),
        ),
      ),
    )
    expectUnavailableOAuth(res)
    expect(await countKeys('access:')).toBe(before)
  })

  // A refresh writes D1 (one batch) and then the new access token's record, the one KV call; if that
  // fails, the rotation is moved back, so a failed write costs the client nothing it holds.
  it.each([
    ['the new access token cannot be stored', { TOKENS: faultyKV(['put']) }],
    ['the rotation in D1 fails', { DB: faultyD1(/^update "token_families"/) }],
    ['the rotation in D1 hangs', { DB: faultyD1(/^update "token_families"/, 'hang') }],
    ['the retired token cannot be recorded', { DB: faultyD1(/^insert into "retired_refresh_tokens"/) }],
  ])(
    'when %s, a refresh answers 503 and the old tokens still work',
    async (_, bindings) => {
      const setup = await passwordSetup()
      const first = (await passwordToken(setup)).body
      const accessKeys = await countKeys('access:')
      const form = {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token,
        client_id: setup.app.clientId,
        client_secret: setup.app.clientSecret!,
      }
      const res = await read(await callWith(bindings, '/o/token/', tokenRequest(form)))
      expectUnavailableOAuth(res)
      // Nothing the client never received is valid, and nothing it holds was consumed: the grant
      // is as it was, so the access token it holds still works (a new record stored anyway is inert).
      expect(await countKeys('access:')).toBe(accessKeys)
      expect((await call('/users/', { token: first.access_token })).status).toBe(200)
      expect((await refresh(setup.app, first.refresh_token)).status).toBe(200)
    },
    30_000,
  )

  it('a refresh reads nothing from KV and deletes nothing there: with both failing it succeeds, and the old access token is refused at once', async () => {
    const setup = await passwordSetup()
    const first = (await passwordToken(setup)).body
    const form = {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: setup.app.clientId,
      client_secret: setup.app.clientSecret!,
    }
    const res = await read(await callWith({ TOKENS: faultyKV(['get', 'delete']) }, '/o/token/', tokenRequest(form)))
    expect(res.status).toBe(200)
    // The old record is still in KV (left to its TTL), yet D1's grant has moved on: refused everywhere.
    expect(await env.TOKENS.get(`access:${sha256Hex(first.access_token)}`)).not.toBeNull()
    expect((await call('/users/', { token: first.access_token })).status).toBe(401)
    expect((await call('/users/', { token: (res.body as { access_token: string }).access_token })).status).toBe(200)
  })

  it('POST /users/ answers 503 and creates nothing when the insert fails', async () => {
    const { body } = await passwordToken(await passwordSetup())
    const users = await countRows('users')
    const res = await read(
      await callWith({ DB: faultyD1(/^insert into "users"/) }, '/users/', {
        ...tokenRequest({ username: 'never-created', password: 'long enough pw' }),
        headers: { Authorization: `Bearer ${body.access_token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
    )
    expect(res.status).toBe(503)
    expect(res.body).toEqual({ detail: 'Service temporarily unavailable, try again later.' })
    expect(await countRows('users')).toBe(users)
  })
})
