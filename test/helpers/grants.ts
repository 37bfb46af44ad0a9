/**
 * Tokens from each grant, for tests of what consumes them (the API, revocation, introspection,
 * OpenID Connect, CORS): `grant(type, opts)`. The code grant starts from a code written straight
 * to D1 (test/helpers/codes.ts), so these tests do not depend on the sign-in and consent pages.
 * The password grant's own requests (`passwordToken`, `refresh`) are here too, for the tests of
 * the token endpoint. The only token helpers: do not add others beside them.
 */
import type { applications, users } from '../../src/db/schema'
import { issueCode } from './codes'
import { call, ORIGIN, read } from './http'
import { createApplication, createResource, createUser, PASSWORD, type TestApp, unique } from './seed'

export const REDIRECT = 'http://127.0.0.1:8009/cb'

type AppOverrides = Partial<typeof applications.$inferInsert>
type UserOverrides = Partial<typeof users.$inferInsert>
type TestUser = Awaited<ReturnType<typeof createUser>>

/** The token endpoint's answer to a grant (RFC 6749 §5.1). */
export type Tokens = { access_token: string; refresh_token: string; scope: string; id_token?: string }

/** Client authentication as the token, revocation and introspection endpoints take it. */
export function clientAuth(app: TestApp, form: Record<string, string>) {
  return app.clientSecret
    ? { basic: [app.clientId, app.clientSecret] as [string, string], form }
    : { form: { ...form, client_id: app.clientId } }
}

/** A user, an authorization-code app, and the tokens of a code exchange for `scope`. */
export async function codeGrant(
  opts: { scope?: string; nonce?: string; app?: AppOverrides; user?: UserOverrides } = {},
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
    tokens: res.body as Tokens,
  }
}

/** A confidential client_credentials app and a token for it, for `scope` (the default when absent). */
export async function clientCredentialsGrant(scope?: string, overrides: AppOverrides = {}) {
  const app = await createApplication({ authorizationGrantType: 'client-credentials', ...overrides })
  const form: Record<string, string> = { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }
  const res = await read(await call('/o/token/', clientAuth(app, form)))
  if (res.status !== 200) throw new Error(`client_credentials failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { app, token: res.body.access_token as string, tokens: res.body as Tokens }
}

/** POST a form to an OAuth endpoint as `app`; the read response. */
export const postAs = (app: TestApp, path: string, form: Record<string, string>, headers?: Record<string, string>) =>
  call(path, { ...clientAuth(app, form), headers }).then(read)

/** A user and a confidential password app (the tutorial's), for tests of the password grant itself. */
export type PasswordSetup = { app: TestApp; user: TestUser }

export async function passwordSetup(opts: { app?: AppOverrides; user?: UserOverrides } = {}): Promise<PasswordSetup> {
  return { app: await createApplication(opts.app), user: await createUser(opts.user) }
}

/** POST /o/token/ with the password grant; credentials by Basic auth unless `inBody`. The read response. */
export async function passwordToken({ app, user }: PasswordSetup, extra: Record<string, string> = {}, inBody = false) {
  const form = { grant_type: 'password', username: user.username, password: PASSWORD, ...extra }
  const res = inBody
    ? await call('/o/token/', { form: { ...form, client_id: app.clientId, client_secret: app.clientSecret! } })
    : await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form })
  return read(res)
}

/** POST /o/token/ with the refresh_token grant, the client's credentials in the body. The read response. */
export function refresh(app: TestApp, refreshToken: string, extra: Record<string, string> = {}) {
  return call('/o/token/', {
    form: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret!,
      ...extra,
    },
  }).then(read)
}

type GrantOptions = { scope?: string; nonce?: string; app?: AppOverrides; user?: UserOverrides }
/** What `grant` gives: the app, the access token, the whole answer (and the user, but for client_credentials). */
export type Granted = { app: TestApp; token: string; tokens: Tokens; user?: TestUser }

/**
 * A new app for the grant (and a user, but for client_credentials), and the tokens the grant
 * gives it for `scope` (the grant's default when absent); throws unless the token endpoint says 200.
 * `token` is the access token, `tokens` the whole answer.
 *
 * @example
 * const { user, token } = await grant('password', { scope: 'read groups' })
 */
export async function grant(type: 'client_credentials', opts?: GrantOptions): Promise<Granted>
export async function grant(
  type: 'password' | 'authorization_code',
  opts?: GrantOptions,
): Promise<Granted & { user: TestUser }>
export async function grant(
  type: 'password' | 'authorization_code' | 'client_credentials',
  opts: GrantOptions = {},
): Promise<Granted> {
  if (type === 'client_credentials') return clientCredentialsGrant(opts.scope, opts.app)
  if (type === 'authorization_code') {
    const { app, user, tokens } = await codeGrant(opts)
    return { app, user, tokens, token: tokens.access_token }
  }
  const setup = await passwordSetup(opts)
  const res = await passwordToken(setup, opts.scope ? { scope: opts.scope } : {})
  if (res.status !== 200) throw new Error(`password grant failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...setup, token: res.body.access_token as string, tokens: res.body as Tokens }
}

/**
 * A user's JWT access token (RFC 9068) the built-in API takes: a password grant for a new resource
 * that wants JWTs and for the built-in API, so the token is a JWT whose `aud` names both.
 */
export async function apiJwtGrant(opts: GrantOptions = {}): Promise<Granted & { user: TestUser; resource: string }> {
  const resource = await createResource({ uri: `https://${unique('jwt').toLowerCase()}.example/`, tokenFormat: 'jwt' })
  const { app, user } = await passwordSetup(opts)
  const form = new URLSearchParams({ grant_type: 'password', username: user.username, password: PASSWORD })
  if (opts.scope) form.set('scope', opts.scope)
  for (const uri of [resource, `${ORIGIN}/`]) form.append('resource', uri)
  const res = await read(await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: form.toString() }))
  if (res.status !== 200) throw new Error(`password grant failed: ${res.status} ${JSON.stringify(res.body)}`)
  const token = res.body.access_token as string
  if (token.split('.').length !== 3) throw new Error('the grant gave no JWT')
  return { app, user, resource, token, tokens: res.body as Tokens }
}

/** A new user's access token from the password grant, for `scope` (the default when absent). */
export const userToken = async (scope?: string) => (await grant('password', { scope })).token
