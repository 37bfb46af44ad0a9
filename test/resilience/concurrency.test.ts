// Many token requests at once: all succeed, every token distinct and working.
// (Single use under concurrency is tested where it lives: refresh in token-refresh, codes in
// token-authorization-code, usernames in api/users.)
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { passwordSetup, passwordToken } from '../helpers/grants'
import { createApplication } from '../helpers/seed'

describe('concurrent token requests', () => {
  it('50 at once all succeed with distinct, working tokens', async () => {
    const cc = await createApplication({ authorizationGrantType: 'client-credentials' })
    // Ten users: checks in progress count toward the brute-force limit of 5 per user and address
    // (src/auth/rate-limit.ts), so one user's sixth simultaneous password grant would get 429.
    const setups = await Promise.all(Array.from({ length: 10 }, () => passwordSetup()))
    const results = await Promise.all([
      ...Array.from({ length: 40 }, () =>
        call('/o/token/', { basic: [cc.clientId, cc.clientSecret!], form: { grant_type: 'client_credentials' } }).then(
          read,
        ),
      ),
      ...setups.map((setup) => passwordToken(setup)),
    ])
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200))
    const tokens = results.map((r) => r.body.access_token as string)
    expect(new Set(tokens).size).toBe(50)
    const checks = await Promise.all(tokens.slice(40).map((t) => call('/users/', { token: t })))
    expect(checks.map((r) => r.status)).toEqual(Array(10).fill(200))
  }, 60_000)
})
