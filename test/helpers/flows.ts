/**
 * The authorization code flow as a browser and a client run it, through the real pages:
 * sign in, consent, read the code off the redirect, exchange it. Reuse `authorizationCodeFlow`
 * (OpenID Connect tests do) instead of pasting the dance.
 */
import { expect } from 'vitest'
import { randomToken } from '../../src/crypto/token'
import { s256Challenge } from '../../src/oauth/pkce'
import { Browser, type Page } from './browser'
import { REDIRECT, clientAuth } from './grants'
import { call, read } from './http'
import { createApplication, createUser, type TestApp } from './seed'
import type { applications, users } from '../../src/db/schema'

export { REDIRECT }

export type FlowOptions = {
  /** The `scope` parameter; left out when undefined. */
  scope?: string
  /** Send an S256 code_challenge and the verifier (default true). */
  pkce?: boolean
  nonce?: string
  clientType?: 'confidential' | 'public'
  state?: string
  /** Overrides for the application the flow creates, or an existing one. */
  app?: Partial<typeof applications.$inferInsert> | TestApp
  user?: Partial<typeof users.$inferInsert>
  /** A signed-in browser to reuse (the user is then that browser's). */
  browser?: Browser
  extraParams?: Record<string, string>
}

export type TokenBody = {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
  scope: string
  id_token?: string
}

/** The authorize URL of a request, as a client would build it. */
export function authorizeUrl(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined))
  return `/o/authorize/?${query}`
}

/** The parameters of a redirect to the client (the code or error, state, iss). */
export const redirectParams = (page: Page) => {
  expect(page.status, page.html.slice(0, 500)).toBe(302)
  return new URL(page.location!).searchParams
}

/**
 * Up to the code: makes (or reuses) an app and a user, signs in, opens the authorize URL, allows
 * on the consent page. Returns everything a test may want to look at.
 */
export async function authorizeWithConsent(opts: FlowOptions = {}) {
  const app =
    opts.app && 'clientSecret' in opts.app
      ? (opts.app as TestApp)
      : await createApplication({
          authorizationGrantType: 'authorization-code',
          redirectUris: REDIRECT,
          clientType: opts.clientType ?? 'confidential',
          ...opts.app,
        })
  let browser = opts.browser
  let user: Awaited<ReturnType<typeof createUser>> | undefined
  if (!browser) {
    user = await createUser(opts.user)
    browser = new Browser()
    expect((await browser.signIn(user.username)).status).toBe(302)
  }
  const verifier = randomToken(48)
  const state = opts.state ?? randomToken(8)
  const url = authorizeUrl({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT,
    scope: opts.scope,
    state,
    nonce: opts.nonce,
    ...(opts.pkce === false ? {} : { code_challenge: s256Challenge(verifier), code_challenge_method: 'S256' }),
    ...opts.extraParams,
  })
  const consent = await browser.get(url)
  expect(consent.status, consent.html.slice(0, 1000)).toBe(200)
  const answer = await browser.submit(consent, '/o/authorize/', { allow: 'Authorize' })
  const params = redirectParams(answer)
  expect(params.get('state')).toBe(state)
  const code = params.get('code')!
  expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return { app, user, browser, consent, answer, code, verifier: opts.pkce === false ? undefined : verifier, state }
}

/** The whole flow: sign in, consent, exchange the code at /o/token/; the tokens and what made them. */
export async function authorizationCodeFlow(opts: FlowOptions = {}) {
  const authorized = await authorizeWithConsent(opts)
  const { app, code, verifier } = authorized
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }
  if (verifier) form.code_verifier = verifier
  const res = await read(await call('/o/token/', clientAuth(app, form)))
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return { ...authorized, tokens: res.body as TokenBody }
}
