// Which grant may obtain which scope (GRANTABLE_SCOPES in src/config.ts), and the default scope.
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { clientAuth, codeGrant, passwordSetup, passwordToken } from '../helpers/grants'
import { createApplication } from '../helpers/seed'
import { GRANTABLE_SCOPES, SCOPES } from '../../src/config'

const clientCredentials = async (scope?: string) => {
  const app = await createApplication({ authorizationGrantType: 'client-credentials' })
  return read(
    await call('/o/token/', clientAuth(app, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) })),
  )
}

describe('scope policy', () => {
  it('every defined scope is obtainable by some grant', () => {
    expect(new Set(Object.values(GRANTABLE_SCOPES).flat())).toEqual(new Set(Object.keys(SCOPES)))
  })

  it.each([undefined, ''])(
    'a request naming no scope (%j) still gets the tutorial’s "read write groups"',
    async (scope) => {
      const password = await passwordToken(await passwordSetup(), scope === undefined ? {} : { scope })
      expect(password.body.scope).toBe('read write groups')
      expect((await clientCredentials(scope)).body.scope).toBe('read write groups')
    },
  )

  it.each([
    ['introspection (DOT 1.7 step 117)', 'introspection'],
    ['openid: OpenID Connect is for the code flow', 'openid'],
    ['profile', 'read profile'],
    ['email', 'email'],
  ])('the password grant refuses %s → invalid_scope', async (_, scope) => {
    const res = await passwordToken(await passwordSetup(), { scope })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_scope' })
  })

  it.each(['openid', 'profile', 'email'])('client_credentials refuses %s: there is no user', async (scope) => {
    const res = await clientCredentials(scope)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_scope' })
  })

  it('client_credentials grants introspection, for resource servers', async () => {
    expect(await clientCredentials('introspection')).toMatchObject({ status: 200, body: { scope: 'introspection' } })
  })

  it('a refresh keeps openid, and may narrow away from it', async () => {
    const { app, tokens } = await codeGrant({ scope: 'openid profile read' })
    const refresh = (form: Record<string, string>) =>
      call('/o/token/', clientAuth(app, { grant_type: 'refresh_token', ...form })).then(read)
    const kept = await refresh({ refresh_token: tokens.refresh_token })
    expect(kept).toMatchObject({ status: 200, body: { scope: 'openid profile read' } })
    // No id_token on refresh (OpenID Connect Core §12.2 leaves it optional).
    expect(kept.body).not.toHaveProperty('id_token')
    expect(await refresh({ refresh_token: kept.body.refresh_token, scope: 'read' })).toMatchObject({
      status: 200,
      body: { scope: 'read' },
    })
  })
})
