/**
 * OpenID Connect `prompt` and `max_age` at /o/authorize/ (Core §3.1.2.1, §3.1.2.6): silent
 * requests answer without a page or with login_required/consent_required; a fresh sign-in is
 * forced when asked for or when the last one is too old; consent when asked for.
 */
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { authorizationCodes, sessions } from '../../src/db/schema'
import { sha256Hex } from '../../src/crypto/token'
import { Browser, textOf } from '../helpers/browser'
import { authorizationCodeFlow, authorizeUrl, REDIRECT, redirectParams } from '../helpers/flows'
import { call, ORIGIN, read } from '../helpers/http'
import { clientAuth } from '../helpers/grants'
import { createApplication, createUser, db, PASSWORD } from '../helpers/seed'

const codeApp = (overrides: Parameters<typeof createApplication>[0] = {}) =>
  createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT, ...overrides })

async function signedIn() {
  const user = await createUser()
  const browser = new Browser()
  expect((await browser.signIn(user.username)).status).toBe(302)
  return { user, browser }
}

const request = (clientId: string, extra: Record<string, string>) =>
  authorizeUrl({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'openid read',
    state: 'st',
    ...extra,
  })

const codeCount = async (applicationId: number) =>
  (await db().select().from(authorizationCodes).where(eq(authorizationCodes.applicationId, applicationId)).all()).length

/** Makes the browser's session look `seconds` old. */
async function ageSession(browser: Browser, seconds: number) {
  const idHash = sha256Hex(browser.cookies.get('eot_session')!)
  await db()
    .update(sessions)
    .set({ created: Math.floor(Date.now() / 1000) - seconds })
    .where(eq(sessions.idHash, idHash))
    .run()
}

/** The sign-in page's round trip: where it sends the person, and where it comes back to. */
async function signInAgain(browser: Browser, username: string, answer: { status: number; location: string | null }) {
  expect(answer.status).toBe(302)
  const next = new URL(answer.location!, ORIGIN)
  expect(next.pathname).toBe('/accounts/login/')
  const back = await browser.signIn(username, PASSWORD, next.searchParams.get('next')!)
  expect(back.status).toBe(302)
  return back.location!
}

describe('prompt=none', () => {
  it('anonymous: login_required to the client, with state and iss, and no code', async () => {
    const app = await codeApp()
    const params = redirectParams(await new Browser().get(request(app.clientId, { prompt: 'none' })))
    expect(Object.fromEntries(params)).toEqual({ error: 'login_required', state: 'st', iss: ORIGIN })
    expect(await codeCount(app.id)).toBe(0)
  })

  it('signed in but consent needed: consent_required, and no code', async () => {
    const app = await codeApp()
    const { browser } = await signedIn()
    const params = redirectParams(await browser.get(request(app.clientId, { prompt: 'none' })))
    expect(params.get('error')).toBe('consent_required')
    expect(await codeCount(app.id)).toBe(0)
  })

  it('signed in, nothing to ask: the code at once (a trusted app, or scopes already granted with approval_prompt=auto)', async () => {
    const trusted = await codeApp({ skipAuthorization: true })
    const { browser } = await signedIn()
    expect(redirectParams(await browser.get(request(trusted.clientId, { prompt: 'none' }))).get('code')).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    )

    const flow = await authorizationCodeFlow({ scope: 'openid read' })
    const again = await flow.browser.get(request(flow.app.clientId, { prompt: 'none', approval_prompt: 'auto' }))
    expect(redirectParams(again).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('with a sign-in older than max_age: login_required', async () => {
    const app = await codeApp({ skipAuthorization: true })
    const { browser } = await signedIn()
    await ageSession(browser, 600)
    expect(
      redirectParams(await browser.get(request(app.clientId, { prompt: 'none', max_age: '300' }))).get('error'),
    ).toBe('login_required')
  })
})

describe('a fresh sign-in', () => {
  it('prompt=login: signs in again, comes back without the prompt, and auth_time is the new sign-in', async () => {
    const app = await codeApp({ skipAuthorization: true })
    const { user, browser } = await signedIn()
    await ageSession(browser, 3600)
    const oldSession = browser.cookies.get('eot_session')
    const url = request(app.clientId, { prompt: 'login', nonce: 'n1' })
    const back = await signInAgain(browser, user.username, await browser.get(url))
    expect(back).toBe(request(app.clientId, { nonce: 'n1' }))
    expect(browser.cookies.get('eot_session')).not.toBe(oldSession)

    const code = redirectParams(await browser.get(back)).get('code')!
    const { body } = await read(
      await call('/o/token/', clientAuth(app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })),
    )
    const authTime = decodeJwt(body.id_token).auth_time as number
    expect(Math.abs(authTime - Date.now() / 1000)).toBeLessThan(5)
  })

  it('prompt="login consent": after signing in, consent is still asked, even of a trusted app', async () => {
    const app = await codeApp({ skipAuthorization: true })
    const { user, browser } = await signedIn()
    const back = await signInAgain(
      browser,
      user.username,
      await browser.get(request(app.clientId, { prompt: 'login consent' })),
    )
    expect(new URL(back, ORIGIN).searchParams.get('prompt')).toBe('consent')
    const page = await browser.get(back)
    expect(page.status).toBe(200)
    expect(textOf(page.html)).toContain(`Authorize ${app.name}?`)
  })

  it('max_age: a sign-in older than it sends the person to sign in; a recent one does not', async () => {
    const app = await codeApp()
    const { user, browser } = await signedIn()
    await ageSession(browser, 600)
    expect((await browser.get(request(app.clientId, { max_age: '3600' }))).status).toBe(200) // the consent page
    const back = await signInAgain(browser, user.username, await browser.get(request(app.clientId, { max_age: '300' })))
    expect(new URL(back, ORIGIN).searchParams.has('max_age')).toBe(false)
    expect((await browser.get(back)).status).toBe(200)
  })
})

describe('prompt=consent', () => {
  it('shows the consent page for a trusted app, and for scopes already granted', async () => {
    const trusted = await codeApp({ skipAuthorization: true })
    const { browser } = await signedIn()
    expect((await browser.get(request(trusted.clientId, { prompt: 'consent' }))).status).toBe(200)
    const flow = await authorizationCodeFlow({ scope: 'openid read' })
    expect(
      (await flow.browser.get(request(flow.app.clientId, { prompt: 'consent', approval_prompt: 'auto' }))).status,
    ).toBe(200)
  })
})

describe('refusals', () => {
  it.each([
    [{ prompt: 'none login' }, 'prompt=none cannot be combined with other values.'],
    [{ prompt: 'create' }, 'Unsupported prompt value.'],
    [{ max_age: '-1' }, 'Invalid max_age parameter: a number of seconds.'],
    [{ max_age: 'soon' }, 'Invalid max_age parameter: a number of seconds.'],
  ])('%j: invalid_request to the client, and no code', async (extra, description) => {
    const app = await codeApp({ skipAuthorization: true })
    const { browser } = await signedIn()
    const params = redirectParams(await browser.get(request(app.clientId, extra)))
    expect(Object.fromEntries(params)).toEqual({
      error: 'invalid_request',
      error_description: description,
      state: 'st',
      iss: ORIGIN,
    })
    expect(await codeCount(app.id)).toBe(0)
  })
})
