/**
 * Tokens from each grant, for tests of what consumes them (revocation, introspection, OpenID
 * Connect, CORS). The code grant starts from a code written straight to D1 (test/helpers/codes.ts),
 * so these tests do not depend on the sign-in and consent pages.
 */
import type { applications, users } from '../../src/db/schema'
import { issueCode } from './codes'
import { call, read } from './http'
import { createApplication, createUser, type TestApp } from './seed'

export const REDIRECT = 'http://127.0.0.1:8009/cb'

type AppOverrides = Partial<typeof applications.$inferInsert>

/** Client authentication as the token, revocation and introspection endpoints take it. */
export function clientAuth(app: TestApp, form: Record<string, string>) {
  return app.clientSecret
    ? { basic: [app.clientId, app.clientSecret] as [string, string], form }
    : { form: { ...form, client_id: app.clientId } }
}

/** A user, an authorization-code app, and the tokens of a code exchange for `scope`. */
export async function codeGrant(
  opts: { scope?: string; nonce?: string; app?: AppOverrides; user?: Partial<typeof users.$inferInsert> } = {},
) {
  const app = await createApplication({
    authorizationGrantType: 'authorization-code',
    redirectUris: REDIRECT,
    ...opts.app,
  })
  const user = await createUser(opts.user)
  const authTime = Math.floor(Date.now() / 1000) - 30
  const code = await issueCode({
    applicationId: app.id,
    userId: user.id,
    redirectUri: REDIRECT,
    scope: opts.scope ?? 'read write',
    nonce: opts.nonce,
    authTime,
  })
  const res = await read(
    await call('/o/token/', clientAuth(app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })),
  )
  if (res.status !== 200) throw new Error(`code exchange failed: ${res.status} ${JSON.stringify(res.body)}`)
  return {
    app,
    user,
    authTime,
    tokens: res.body as { access_token: string; refresh_token: string; id_token?: string; scope: string },
  }
}

/** A confidential client_credentials app and a token for it, for `scope` (the default when absent). */
export async function clientCredentialsGrant(scope?: string, overrides: AppOverrides = {}) {
  const app = await createApplication({ authorizationGrantType: 'client-credentials', ...overrides })
  const form: Record<string, string> = { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }
  const res = await read(await call('/o/token/', clientAuth(app, form)))
  if (res.status !== 200) throw new Error(`client_credentials failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { app, token: res.body.access_token as string }
}

/** POST a form to an OAuth endpoint as `app`; the read response. */
export const postAs = (app: TestApp, path: string, form: Record<string, string>, headers?: Record<string, string>) =>
  call(path, { ...clientAuth(app, form), headers }).then(read)
