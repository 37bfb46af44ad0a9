/**
 * The authorization endpoint through HTTP, as a browser and a client see it (RFC 6749 §4.1,
 * RFC 7636, RFC 9207, RFC 9700): sign-in round trip, consent, the code, and every refusal, each
 * checked for where it went (error page or redirect) and that no code was stored.
 */
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { authorizationCodes } from '../../src/db/schema'
import { sha256Hex } from '../../src/crypto/token'
import { Browser, formFor, textOf } from '../helpers/browser'
import { authorizationCodeFlow, authorizeUrl, authorizeWithConsent, REDIRECT, redirectParams } from '../helpers/flows'
import { call, ORIGIN, read } from '../helpers/http'
import { clientAuth } from '../helpers/grants'
import { createApplication, createUser, db } from '../helpers/seed'

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

async function signedInBrowser() {
  const user = await createUser()
  const browser = new Browser()
  expect((await browser.signIn(user.username)).status).toBe(302)
  return { user, browser }
}

const codeApp = (overrides: Parameters<typeof createApplication>[0] = {}) =>
  createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT, ...overrides })

const codeCount = async (applicationId: number) =>
  (await db().select().from(authorizationCodes).where(eq(authorizationCodes.applicationId, applicationId)).all()).length

describe('sign-in round trip', () => {
  it('sends an anonymous user to sign in and back to the same authorize URL', async () => {
    const app = await codeApp()
    const user = await createUser()
    const browser = new Browser()
    const url = authorizeUrl({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      scope: 'read write',
      state: 'state-ac-1',
    })
    const first = await browser.get(url)
    expect(first.status).toBe(302)
    expect(first.location).toBe(`/accounts/login/?next=${encodeURIComponent(url)}`)
    const login = await browser.get(first.location!)
    expect(formFor(login.html, '/accounts/login/').fields.next).toBe(url)
    const signedIn = await browser.submit(login, '/accounts/login/', {
      username: user.username,
      password: 'correct horse battery staple',
    })
    expect(signedIn.status).toBe(302)
    expect(signedIn.location).toBe(url)
    const consent = await browser.get(signedIn.location!)
    expect(consent.status).toBe(200)
    expect(textOf(consent.html)).toContain(`Authorize ${app.name}?`)
  })
})

describe('consent', () => {
  it('names the application, lists the scopes with descriptions, and posts back the request as DOT does', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        scope: 'read groups',
        state: 's1',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
        nonce: 'n-1',
      }),
    )
    expect(page.status).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain(`Authorize ${app.name}?`)
    expect(text).toContain('Read scope (read)')
    expect(text).toContain('Access to your groups (groups)')
    expect(text).not.toContain('Write scope')
    expect(text).toContain('http://127.0.0.1:8009')
    const form = formFor(page.html, '/o/authorize/')
    expect(form.method).toBe('POST')
    expect(form.submits).toEqual(['allow'])
    expect(form.fields).toEqual({
      csrfmiddlewaretoken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_id: app.clientId,
      response_type: 'code',
      scope: 'read groups',
      redirect_uri: REDIRECT,
      state: 's1',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      nonce: 'n-1',
    })
  })

  it('is framed by nothing, refers nothing, caches nothing, loads nothing from elsewhere', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT }),
    )
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    expect(page.headers.get('Content-Security-Policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'$/,
    )
    expect(page.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(page.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(page.html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('Allow answers 302 with code, state byte for byte and iss (RFC 9207); the code is stored by digest', async () => {
    const state = 'a state with spaces, ümlauts & symbols=?/'
    const { app, user, answer, code } = await authorizeWithConsent({ state, nonce: 'nonce-1', scope: 'read write' })
    const location = new URL(answer.location!)
    expect(location.origin + location.pathname).toBe(REDIRECT)
    expect([...location.searchParams.keys()]).toEqual(['code', 'state', 'iss'])
    expect(location.searchParams.get('state')).toBe(state)
    expect(location.searchParams.get('iss')).toBe(ORIGIN)
    const row = await db()
      .select()
      .from(authorizationCodes)
      .where(eq(authorizationCodes.codeHash, sha256Hex(code)))
      .get()
    const now = Math.floor(Date.now() / 1000)
    expect(row).toMatchObject({
      applicationId: app.id,
      userId: user!.id,
      redirectUri: REDIRECT,
      scope: 'read write',
      nonce: 'nonce-1',
      codeChallengeMethod: 'S256',
      usedAt: null,
    })
    expect(row!.expiresAt - now).toBeGreaterThanOrEqual(59)
    expect(row!.expiresAt - now).toBeLessThanOrEqual(60)
    expect(Math.abs(row!.authTime - now)).toBeLessThanOrEqual(5)
  })

  it('a POST without `allow` is a denial: access_denied with state, and no code', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 'state-ac-deny' }),
    )
    const answer = await browser.submit(page, '/o/authorize/')
    expect(answer.status).toBe(302)
    expect(answer.location).toBe(
      `${REDIRECT}?error=access_denied&state=state-ac-deny&iss=${encodeURIComponent(ORIGIN)}`,
    )
    expect(await codeCount(app.id)).toBe(0)
  })

  it('the code grants tokens that work like password-grant tokens: API, scopes, refresh', async () => {
    const { tokens, app } = await authorizationCodeFlow({ scope: 'read write' })
    expect(tokens).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      scope: 'read write',
    })
    expect((await call('/users/', { token: tokens.access_token })).status).toBe(200)
    expect((await call('/groups/', { token: tokens.access_token })).status).toBe(403)
    const refreshed = await read(
      await call('/o/token/', clientAuth(app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })),
    )
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.scope).toBe('read write')
  })

  it('without a scope parameter, the default scopes are asked for', async () => {
    const { tokens } = await authorizationCodeFlow({})
    expect(tokens.scope).toBe('read write groups')
  })

  it('a public client with PKCE gets tokens with the verifier alone', async () => {
    const { tokens } = await authorizationCodeFlow({ clientType: 'public', scope: 'read' })
    expect(tokens.scope).toBe('read')
  })

  it('a confidential client may leave PKCE out', async () => {
    const { tokens } = await authorizationCodeFlow({ pkce: false, scope: 'read' })
    expect(tokens.scope).toBe('read')
  })

  it('with redirect_uri left out, the one registered URI is used, and the exchange needs none (§4.1.3)', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(authorizeUrl({ response_type: 'code', client_id: app.clientId, state: 'x' }))
    expect(formFor(page.html, '/o/authorize/').fields.redirect_uri).toBeUndefined()
    const params = redirectParams(await browser.submit(page, '/o/authorize/', { allow: 'Authorize' }))
    const code = params.get('code')!
    const row = await db()
      .select()
      .from(authorizationCodes)
      .where(eq(authorizationCodes.codeHash, sha256Hex(code)))
      .get()
    expect(row!.redirectUri).toBeNull()
    const res = await call('/o/token/', clientAuth(app, { grant_type: 'authorization_code', code }))
    expect(res.status).toBe(200)
  })

  it('RFC 8252 §7.3: a loopback redirect may use another port; the code goes to that port', async () => {
    const app = await codeApp({ redirectUris: 'http://127.0.0.1/cb https://app.example/cb' })
    const { browser } = await signedInBrowser()
    const uri = 'http://127.0.0.1:51234/cb'
    const page = await browser.get(authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: uri }))
    expect(page.status).toBe(200)
    const answer = await browser.submit(page, '/o/authorize/', { allow: 'Authorize' })
    expect(answer.location).toMatch(/^http:\/\/127\.0\.0\.1:51234\/cb\?code=/)
  })
})

describe('consent is skipped', () => {
  it('for skip_authorization applications', async () => {
    const app = await codeApp({ skipAuthorization: true })
    const { browser } = await signedInBrowser()
    const answer = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 'k' }),
    )
    expect(redirectParams(answer).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('with approval_prompt=auto, only while a live grant covers the scopes', async () => {
    const first = await authorizationCodeFlow({ scope: 'read write' })
    const ask = (scope: string, prompt?: string) =>
      first.browser.get(
        authorizeUrl({
          response_type: 'code',
          client_id: first.app.clientId,
          redirect_uri: REDIRECT,
          scope,
          approval_prompt: prompt,
          state: 'p',
        }),
      )
    const code = redirectParams(await ask('read', 'auto')).get('code')
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 random bytes, base64url
    const form = { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT }
    const exchanged = await read(await call('/o/token/', clientAuth(first.app, form)))
    expect(exchanged.status).toBe(200)
    expect(exchanged.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read',
    })
    // Only the first grant counts below.
    await call('/o/revoke_token/', clientAuth(first.app, { token: exchanged.body.refresh_token }))
    expect((await ask('read', undefined)).status).toBe(200) // DOT's default is approval_prompt=force
    expect((await ask('read', 'force')).status).toBe(200)
    expect((await ask('read groups', 'auto')).status).toBe(200) // wider than granted
    const other = await createUser()
    const stranger = new Browser()
    await stranger.signIn(other.username)
    const strangerPage = await stranger.get(
      authorizeUrl({
        response_type: 'code',
        client_id: first.app.clientId,
        redirect_uri: REDIRECT,
        scope: 'read',
        approval_prompt: 'auto',
      }),
    )
    expect(strangerPage.status).toBe(200) // someone else's grant does not count
    await call('/o/revoke_token/', clientAuth(first.app, { token: first.tokens.refresh_token }))
    expect((await ask('read', 'auto')).status).toBe(200) // a revoked grant does not count
  })
})

describe('errors before the redirect URI is known: an error page, never a redirect (§4.1.2.1)', () => {
  const cases: Array<[string, (clientId: string) => Record<string, string>, string]> = [
    [
      'unknown client',
      () => ({ client_id: 'no-such-client', redirect_uri: REDIRECT }),
      'Invalid client_id parameter value',
    ],
    ['missing client_id', () => ({ redirect_uri: REDIRECT }), 'Missing client_id parameter.'],
    ['trailing slash', (id) => ({ client_id: id, redirect_uri: `${REDIRECT}/` }), 'Mismatching redirect URI'],
    ['extra query', (id) => ({ client_id: id, redirect_uri: `${REDIRECT}?x=1` }), 'Mismatching redirect URI'],
    ['different case', (id) => ({ client_id: id, redirect_uri: REDIRECT.toUpperCase() }), 'Mismatching redirect URI'],
    ['fragment', (id) => ({ client_id: id, redirect_uri: `${REDIRECT}#f` }), 'Mismatching redirect URI'],
    [
      'userinfo',
      (id) => ({ client_id: id, redirect_uri: 'http://evil@127.0.0.1:8009/cb' }),
      'Mismatching redirect URI',
    ],
    [
      'loopback-looking host',
      (id) => ({ client_id: id, redirect_uri: 'http://127.0.0.1.evil.example:8009/cb' }),
      'Mismatching redirect URI',
    ],
    ['another site', (id) => ({ client_id: id, redirect_uri: 'https://evil.example/cb' }), 'Mismatching redirect URI'],
    [
      'a loopback port no URL can have',
      (id) => ({ client_id: id, redirect_uri: 'http://127.0.0.1:99999/cb' }),
      'Mismatching redirect URI',
    ],
    ['client_id twice', (id) => ({ client_id: id, redirect_uri: REDIRECT, 'client_id ': '' }), 'more than once'],
  ]
  it.each(cases)('%s', async (_name, params, message) => {
    const app = await codeApp({ redirectUris: `${REDIRECT} https://app.example/cb` })
    const { browser } = await signedInBrowser()
    const query = new URLSearchParams({ response_type: 'code', state: 's', ...params(app.clientId) })
    if ('client_id ' in params(app.clientId)) {
      query.delete('client_id ')
      query.append('client_id', app.clientId)
    }
    const page = await browser.get(`/o/authorize/?${query}`)
    expect(page.status).toBe(400)
    expect(page.location).toBeNull()
    expect(textOf(page.html)).toContain('Error: invalid_request')
    expect(textOf(page.html)).toContain(message)
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    expect(await codeCount(app.id)).toBe(0)
  })

  it('a non-loopback redirect may not change its port', async () => {
    const app = await codeApp({ redirectUris: 'https://app.example/cb' })
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: 'https://app.example:8443/cb' }),
    )
    expect(page.status).toBe(400)
  })

  it.each([
    [
      'an app of another grant type',
      { authorizationGrantType: 'password' as const },
      { redirect_uri: REDIRECT },
      'not registered for the authorization code flow',
    ],
    [
      'no redirect_uri when several are registered',
      { redirectUris: `${REDIRECT} https://app.example/cb` },
      {},
      'Missing redirect_uri parameter',
    ],
  ])('%s', async (_name, overrides, params, message) => {
    const app = await codeApp(overrides)
    const { browser } = await signedInBrowser()
    const page = await browser.get(authorizeUrl({ response_type: 'code', client_id: app.clientId, ...params }))
    expect(page.status).toBe(400)
    expect(page.location).toBeNull()
    expect(textOf(page.html)).toContain(message)
  })

  it('shows the error page to anonymous users too, without asking them to sign in', async () => {
    const page = await new Browser().get(
      authorizeUrl({ response_type: 'code', client_id: 'nope', redirect_uri: REDIRECT }),
    )
    expect(page.status).toBe(400)
  })
})

describe('errors after the redirect URI is known: 302 to it with error, state and iss', () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>, 'confidential' | 'public']> = [
    [
      'missing response_type',
      { response_type: '' },
      { error: 'invalid_request', error_description: 'Missing response_type parameter.' },
      'confidential',
    ],
    [
      'response_type=token (no implicit grant)',
      { response_type: 'token' },
      { error: 'unsupported_response_type' },
      'confidential',
    ],
    ['unknown scope', { scope: 'read admin' }, { error: 'invalid_scope' }, 'confidential'],
    ['a scope this flow cannot grant', { scope: 'introspection' }, { error: 'invalid_scope' }, 'confidential'],
    [
      'plain PKCE',
      { code_challenge: CHALLENGE, code_challenge_method: 'plain' },
      { error: 'invalid_request', error_description: 'Transform algorithm not supported.' },
      'public',
    ],
    [
      'a challenge without a method means plain (RFC 7636 §4.3)',
      { code_challenge: CHALLENGE },
      { error: 'invalid_request', error_description: 'Transform algorithm not supported.' },
      'public',
    ],
    [
      'an unknown method',
      { code_challenge: CHALLENGE, code_challenge_method: 'S512' },
      { error: 'invalid_request', error_description: 'Transform algorithm not supported.' },
      'confidential',
    ],
    [
      'a malformed S256 challenge',
      { code_challenge: 'short', code_challenge_method: 'S256' },
      { error: 'invalid_request', error_description: 'Invalid code_challenge: S256 expects 43 base64url characters.' },
      'confidential',
    ],
    [
      'a method without a challenge',
      { code_challenge_method: 'S256' },
      { error: 'invalid_request', error_description: 'Code challenge required with code_challenge_method.' },
      'confidential',
    ],
    [
      'a public client without PKCE',
      {},
      { error: 'invalid_request', error_description: 'Code challenge required.' },
      'public',
    ],
  ]
  it.each(cases)('%s', async (_name, params, expected, clientType) => {
    const app = await codeApp({ clientType })
    const { browser } = await signedInBrowser()
    const query = { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 's3', ...params }
    const page = await browser.get(authorizeUrl(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''))))
    expect(page.status).toBe(302)
    expect(Object.fromEntries(redirectParams(page))).toEqual({ ...expected, state: 's3', iss: ORIGIN })
    expect(page.location!.startsWith(`${REDIRECT}?`)).toBe(true)
    expect(await codeCount(app.id)).toBe(0)
  })

  it('a repeated parameter is invalid_request (§3.1)', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      `${authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'read' })}&scope=write`,
    )
    expect(Object.fromEntries(redirectParams(page))).toEqual({
      error: 'invalid_request',
      error_description: 'Duplicate scope parameter.',
      iss: ORIGIN,
    })
  })

  it('the consent POST is checked again: a tampered scope is refused there too', async () => {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 't' }),
    )
    const answer = await browser.submit(page, '/o/authorize/', { allow: 'Authorize', scope: 'read admin' })
    expect(Object.fromEntries(redirectParams(answer))).toEqual({ error: 'invalid_scope', state: 't', iss: ORIGIN })
    const tampered = await browser.submit(page, '/o/authorize/', {
      allow: 'Authorize',
      redirect_uri: 'https://evil.example/cb',
    })
    expect(tampered.status).toBe(400)
    expect(await codeCount(app.id)).toBe(0)
  })
})

describe('the consent POST is protected against CSRF (§10.12)', () => {
  async function consentPage() {
    const app = await codeApp()
    const { browser } = await signedInBrowser()
    const page = await browser.get(
      authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, state: 'c' }),
    )
    return { app, browser, page }
  }

  it.each([
    ['without the token', { csrfmiddlewaretoken: null }],
    ['with a wrong token', { csrfmiddlewaretoken: 'x'.repeat(43) }],
  ] as Array<[string, Record<string, string | null>]>)(
    'refuses a consent %s, with no redirect and no code',
    async (_name, changes) => {
      const { app, browser, page } = await consentPage()
      const answer = await browser.submit(page, '/o/authorize/', { allow: 'Authorize', ...changes })
      expect(answer.status).toBe(403)
      expect(answer.location).toBeNull()
      expect(await codeCount(app.id)).toBe(0)
    },
  )

  it.each([
    ['Origin', 'https://evil.example'],
    ['Sec-Fetch-Site', 'cross-site'],
  ])('refuses a consent whose browser says it came from another site (%s)', async (header, value) => {
    const { app, browser, page } = await consentPage()
    const fields = { ...formFor(page.html, '/o/authorize/').fields, allow: 'Authorize' }
    const answer = await browser.post('/o/authorize/', fields, { [header]: value })
    expect(answer.status).toBe(403)
    expect(await codeCount(app.id)).toBe(0)
  })

  it("refuses another session's token", async () => {
    const { app, browser, page } = await consentPage()
    const other = await signedInBrowser()
    const fields = { ...formFor(page.html, '/o/authorize/').fields, allow: 'Authorize' }
    expect((await other.browser.post('/o/authorize/', fields)).status).toBe(403)
    expect((await browser.post('/o/authorize/', { ...fields, allow: 'Authorize' }, { Origin: ORIGIN })).status).toBe(
      302,
    )
    expect(await codeCount(app.id)).toBe(1)
  })

  it('a consent POST after the session ended goes to sign-in (303), then back to the request', async () => {
    const { browser, page } = await consentPage()
    const fields = formFor(page.html, '/o/authorize/').fields
    await browser.submit(page, '/accounts/logout/')
    const answer = await browser.post('/o/authorize/', { ...fields, allow: 'Authorize' })
    expect(answer.status).toBe(303)
    const next = new URL(answer.location!, ORIGIN).searchParams.get('next')!
    expect(next.startsWith('/o/authorize/?')).toBe(true)
    expect(new URLSearchParams(next.split('?')[1]).get('csrfmiddlewaretoken')).toBeNull()
    expect(new URLSearchParams(next.split('?')[1]).get('state')).toBe('c')
  })
})
