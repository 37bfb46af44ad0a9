// The token service outside a request: plain deps (as the admin CLI or the cron would build them),
// a clock the test sets, and the Worker then honouring (or refusing) what it issued or revoked.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type Clock, systemClock } from '../../src/clock'
import { readSettings } from '../../src/config'
import { createDb } from '../../src/db/client'
import type { TokenDeps } from '../../src/tokens/deps'
import { opaqueAccessTokens } from '../../src/tokens/opaque'
import { issueUserTokens, revokeFamily } from '../../src/tokens/service'
import { call, read } from '../helpers/http'
import { rememberSecret } from '../helpers/secrets'
import { createApplication, createUser } from '../helpers/seed'

const depsAt = (clock: Clock): TokenDeps => ({
  db: createDb(env.DB),
  kv: env.TOKENS,
  clock,
  settings: readSettings(env),
  accessTokens: opaqueAccessTokens(env.TOKENS, clock),
})

async function userGrant(deps: TokenDeps) {
  const [app, user] = await Promise.all([createApplication(), createUser()])
  const response = await issueUserTokens(deps, app, { userId: user.id, username: user.username }, 'read')
  rememberSecret(response.access_token)
  rememberSecret(response.refresh_token)
  return { app, user, response }
}

describe('token service without a request', () => {
  it('times what it issues by the clock it is given, and the expiry by the reading clock', async () => {
    const t = systemClock.now() - 100
    const deps = depsAt({ now: () => t })
    const { app, user, response } = await userGrant(deps)
    expect(response).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read',
    })
    const found = await deps.accessTokens.read(response.access_token)
    expect(found).toEqual({
      hash: expect.any(String),
      info: {
        applicationId: app.id,
        clientId: app.clientId,
        userId: user.id,
        username: user.username,
        scope: 'read',
        iat: t,
        exp: t + 36000,
        familyId: expect.any(String),
      },
    })
    expect(await opaqueAccessTokens(env.TOKENS, { now: () => t + 36000 }).read(response.access_token)).toBe('expired')
    // The Worker, on the system clock, honours the token the service issued.
    expect((await call('/users/', { token: response.access_token })).status).toBe(200)
  })

  it('revokes a grant outside a request: the API refuses its access token, a refresh is invalid_grant', async () => {
    const deps = depsAt(systemClock)
    const { app, response } = await userGrant(deps)
    const found = await deps.accessTokens.read(response.access_token)
    if (!found || found === 'expired') throw new Error('the token was not stored')
    await revokeFamily(deps, found.info.familyId!)

    expect(await deps.accessTokens.read(response.access_token)).toBeNull()
    const api = await read(await call('/users/', { token: response.access_token }))
    expect(api.status).toBe(401)
    expect(api.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    const refresh = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'refresh_token', refresh_token: response.refresh_token! },
      }),
    )
    expect(refresh.status).toBe(400)
    expect(refresh.body).toEqual({ error: 'invalid_grant' })
  })
})
