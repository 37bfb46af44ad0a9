// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.6), on codes written straight to D1.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { issueCode } from '../helpers/codes'
import { createApplication, createUser, type TestApp } from '../helpers/seed'
import { sha256Hex } from '../../src/crypto/token'
import type { applications, users } from '../../src/db/schema'
import { s256Challenge } from '../../src/oauth/pkce'

const REDIRECT = 'http://127.0.0.1:8009/cb'
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'

async function setup(clientType: 'confidential' | 'public' = 'confidential') {
  const app = await createApplication({
    authorizationGrantType: 'authorization-code',
    clientType,
    redirectUris: REDIRECT,
  })
  const user = await createUser()
  return { app, user }
}

function exchange(app: TestApp, code: string, extra: Record<string, string> = {}) {
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra }
  return app.clientSecret
    ? call('/o/token/', { basic: [app.clientId, app.clientSecret], form }).then(read)
    : call('/o/token/', { form: { ...form, client_id: app.clientId } }).then(read)
}

describe('authorization_code exchange', () => {
  it('exchanges a code once for tokens that work like any others', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const res = await exchange(app, code)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read write',
    })
    expect((await call(`/users/${user.id}/`, { token: res.body.access_token })).status).toBe(200)
  })

  it('a replayed code is invalid_grant and revokes what it issued (RFC 6749 §4.1.2)', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const first = await exchange(app, code)
    expect(first.status).toBe(200)
    const replay = await exchange(app, code)
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ error: 'invalid_grant' })
    expect((await call('/users/', { token: first.body.access_token })).status).toBe(401)
    const refreshed = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      }),
    )
    expect(refreshed.status).toBe(400)
    expect(refreshed.body).toEqual({ error: 'invalid_grant' })
  })

  it('of 20 concurrent exchanges of one code, exactly one gets a token', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT })
    const results = await Promise.all(Array.from({ length: 20 }, () => exchange(app, code)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(results.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(19)
    // The other 19 are replays: whatever the interleaving, the tokens the code gave are revoked.
    expect((await call('/users/', { token: ok[0]!.body.access_token })).status).toBe(401)
  })

  it('without redirect_uri at authorize, none is needed at the exchange', async () => {
    const { app, user } = await setup()
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: null })
    expect((await exchange(app, code, { redirect_uri: '' })).status).toBe(200)
  })
})

/** What a refused exchange must leave behind: no grant row, no token in KV (a fresh user per row). */
async function grantWrites(userId: number, appIds: number[]) {
  const families = await env.DB.prepare(
    `select id from token_families where user_id = ? or application_id in (${appIds.map(() => '?').join(', ')})`,
  )
    .bind(userId, ...appIds)
    .all()
  const keys = await env.TOKENS.list({ prefix: 'access:' })
  return { families: families.results, tokenKeys: keys.keys.map((k) => k.name).sort() }
}

const codeRow = (code: string) =>
  env.DB.prepare('select used_at as usedAt, family_id as familyId from authorization_codes where code_hash = ?')
    .bind(sha256Hex(code))
    .first()

type Refusal = {
  /** The code's owner and the code as issued (default: a confidential code client, REDIRECT, no PKCE). */
  owner?: Partial<typeof applications.$inferInsert>
  code?: Partial<Parameters<typeof issueCode>[0]>
  user?: Partial<typeof users.$inferInsert>
  /** The client that presents it: the owner, or another client registered for `grant`. */
  presenter?: { grant: 'authorization-code' | 'password' }
  /** Parameters over the right ones (`code`, `redirect_uri`, a PKCE code's verifier); undefined leaves one out. */
  params?: Record<string, string | undefined>
  status: number
  body: Record<string, string>
  /** `burnt`: spent with no grant, the right exchange now fails; `unused`: a refusal before the code was looked at. */
  code_after: 'burnt' | 'unused'
}

const PKCE = { codeChallenge: s256Challenge(VERIFIER), codeChallengeMethod: 'S256' }
const PUBLIC = { clientType: 'public' as const }

const REFUSALS: Array<[string, Refusal]> = [
  [
    'a different redirect_uri',
    {
      params: { redirect_uri: 'http://127.0.0.1:8009/other' },
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Mismatching redirect URI.' },
      code_after: 'burnt',
    },
  ],
  [
    'no redirect_uri though authorize had one',
    {
      params: { redirect_uri: '' },
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Mismatching redirect URI.' },
      code_after: 'burnt',
    },
  ],
  [
    'an unknown code',
    {
      params: { code: 'not-a-code' },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'unused',
    },
  ],
  [
    'a missing code',
    {
      params: { code: '' },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing code parameter.' },
      code_after: 'unused',
    },
  ],
  [
    'a code issued to another client (DOT 1.7: unauthorized_client)',
    {
      presenter: { grant: 'authorization-code' },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
  [
    'a code presented by a password-grant client (step 139)',
    {
      presenter: { grant: 'password' },
      status: 400,
      body: { error: 'unauthorized_client' },
      code_after: 'unused',
    },
  ],
  [
    'an expired code',
    {
      code: { expiresAt: Math.floor(Date.now() / 1000) - 1 },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
  [
    'a code of a user deactivated since',
    {
      user: { isActive: false },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
  [
    'a code of an app registered for another grant',
    {
      owner: { authorizationGrantType: 'password' },
      status: 400,
      body: { error: 'unauthorized_client' },
      code_after: 'unused',
    },
  ],
  [
    'PKCE: a wrong verifier (step 171)',
    {
      owner: PUBLIC,
      code: PKCE,
      params: { code_verifier: 'x'.repeat(43) },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
  [
    'PKCE: a malformed verifier',
    {
      owner: PUBLIC,
      code: PKCE,
      params: { code_verifier: 'short' },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
  [
    'PKCE: no verifier (step 175)',
    {
      owner: PUBLIC,
      code: PKCE,
      params: { code_verifier: undefined },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Code verifier required.' },
      code_after: 'burnt',
    },
  ],
  [
    'PKCE: a verifier for a code issued without a challenge, a downgrade (RFC 9700 §4.8.2)',
    {
      params: { code_verifier: VERIFIER },
      status: 400,
      body: { error: 'invalid_grant' },
      code_after: 'burnt',
    },
  ],
]

// DOT 1.7 lets the right request succeed after a failed one (step 172): here a failed exchange burns the code.
describe.each(REFUSALS)('refused exchange: %s', (_, row) => {
  const after = row.code_after === 'burnt' ? 'is burnt' : 'is left unused'
  it(`→ ${row.status} ${row.body.error} (whole body), nothing written, and the code ${after}`, async () => {
    const app = await createApplication({
      authorizationGrantType: 'authorization-code',
      redirectUris: REDIRECT,
      ...row.owner,
    })
    const user = await createUser(row.user)
    const code = await issueCode({ applicationId: app.id, userId: user.id, redirectUri: REDIRECT, ...row.code })
    const presenter = row.presenter
      ? await createApplication({ authorizationGrantType: row.presenter.grant, redirectUris: REDIRECT })
      : app
    const right: Record<string, string> = row.code?.codeChallenge ? { code_verifier: VERIFIER } : {}
    const before = await grantWrites(user.id, [app.id, presenter.id])
    expect(before.families).toEqual([])

    const params = Object.entries({ ...right, ...row.params }).filter((e): e is [string, string] => e[1] !== undefined)
    const res = await exchange(presenter, code, Object.fromEntries(params))
    expect(res.status).toBe(row.status)
    expect(res.body).toEqual(row.body)
    expect(await grantWrites(user.id, [app.id, presenter.id])).toEqual(before)

    if (row.code_after === 'burnt') {
      expect(await codeRow(code)).toEqual({ usedAt: expect.any(Number), familyId: null })
      const again = await exchange(app, code, right)
      expect(again.status).toBe(400)
      expect(again.body).toEqual({ error: 'invalid_grant' })
    } else {
      expect(await codeRow(code)).toEqual({ usedAt: null, familyId: null })
    }
    expect(await grantWrites(user.id, [app.id, presenter.id])).toEqual(before)
  })
})

describe('PKCE at the exchange', () => {
  const pkceCode = async (app: TestApp, userId: number) =>
    issueCode({
      applicationId: app.id,
      userId,
      redirectUri: REDIRECT,
      codeChallenge: s256Challenge(VERIFIER),
      codeChallengeMethod: 'S256',
    })

  it('a public client exchanges with the right verifier (RFC 7636 Appendix B)', async () => {
    const { app, user } = await setup('public')
    const res = await exchange(app, await pkceCode(app, user.id), { code_verifier: VERIFIER })
    expect(res.status).toBe(200)
  })
})
