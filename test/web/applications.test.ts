/** The application pages through HTTP: register as the tutorial says, see, edit, regenerate, delete; only one's own. */
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { applications } from '../../src/db/schema'
import { sha256Hex } from '../../src/crypto/token'
import { Browser, formFor, textOf, type Page } from '../helpers/browser'
import { authorizationCodeFlow } from '../helpers/flows'
import { call, ORIGIN, read } from '../helpers/http'
import { createApplication, createUser, db, PASSWORD } from '../helpers/seed'
import { rememberSecret } from '../helpers/secrets'

async function signedIn() {
  const user = await createUser()
  const browser = new Browser()
  await browser.signIn(user.username)
  return { user, browser }
}

/** The one-time secret and the client id as the detail page shows them. */
function credentialsOn(page: Page) {
  const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(page.html)?.[1]
  const secret = /<code id="client-secret">([^<]+)<\/code>/.exec(page.html)?.[1]
  rememberSecret(secret)
  return { clientId, secret }
}

const TUTORIAL_APP = {
  name: 'tutorial',
  client_type: 'confidential',
  authorization_grant_type: 'password',
  redirect_uris: '',
  allowed_origins: '',
}

/** The sealed-secret cookie the last registration's redirect set. */
let lastFlash = ''

/** Registers through the form; a registration redirects (303) to its page, which is followed. */
async function register(browser: Browser, fields: Record<string, string> = TUTORIAL_APP) {
  const form = await browser.get('/o/applications/register/')
  const answer = await browser.submit(form, '/o/applications/register/', fields)
  lastFlash = answer.headers.getAll('Set-Cookie').find((c) => c.startsWith('eot_new_secret=')) ?? ''
  if (answer.status !== 303) return answer
  expect(answer.location).toMatch(/^\/o\/applications\/\d+\/\?registered$/)
  expect(answer.html).not.toMatch(/client-secret/)
  return browser.get(answer.location!)
}

describe('registering an application, as the tutorial does', () => {
  it('an anonymous visitor is sent to sign in first (DOT step 129)', async () => {
    const page = await new Browser().get('/o/applications/')
    expect(page.status).toBe(302)
    expect(page.location).toBe(`/accounts/login/?next=${encodeURIComponent('/o/applications/')}`)
  })

  it('the form has a visible label for every field', async () => {
    const { browser } = await signedIn()
    const page = await browser.get('/o/applications/register/')
    for (const [id, label] of [
      ['id_name', 'Name'],
      ['id_client_type', 'Client type'],
      ['id_authorization_grant_type', 'Authorization grant type'],
      ['id_redirect_uris', 'Redirect URIs'],
      ['id_allowed_origins', 'Allowed origins'],
    ]) {
      expect(page.html).toMatch(new RegExp(`<label for="${id}">${label}`))
    }
    // No "Skip authorization": the administrator's alone (test/web/skip-authorization.test.ts).
    expect(page.html).not.toContain('skip_authorization')
    expect(page.html).not.toMatch(/implicit/i)
  })

  it('shows client id and secret once; the secret is stored hashed and works with the tutorial curl', async () => {
    const { user, browser } = await signedIn()
    const created = await register(browser)
    expect(created.status).toBe(200)
    expect(created.headers.get('Cache-Control')).toBe('no-store')
    const { clientId, secret } = credentialsOn(created)
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(textOf(created.html)).toContain('Copy the client secret now.')
    expect(created.html).toContain('data-copy="client-secret"')
    const row = await db().select().from(applications).where(eq(applications.clientId, clientId!)).get()
    expect(row).toMatchObject({
      name: 'tutorial',
      userId: user.id,
      clientType: 'confidential',
      authorizationGrantType: 'password',
      clientSecretHash: sha256Hex(secret!),
    })
    const token = await read(
      await call('/o/token/', {
        basic: [clientId!, secret!],
        form: { grant_type: 'password', username: user.username, password: PASSWORD },
      }),
    )
    expect(token.status).toBe(200)
    expect(token.body.scope).toBe('read write groups')
    // Shown once: the detail page never shows it again, and reloading it registers nothing more
    // (the POST answered with a redirect; the secret came sealed in a cookie now cleared).
    const detail = await browser.get(`/o/applications/${row!.id}/?registered`)
    expect(detail.html).not.toContain(secret!)
    expect(credentialsOn(detail).secret).toBeUndefined()
    expect(await db().select().from(applications).where(eq(applications.userId, user.id)).all()).toHaveLength(1)
    // The redirect carried it sealed, never in plain text, to that one page only.
    expect(lastFlash).toMatch(
      /^eot_new_secret=[A-Za-z0-9_-]+; Max-Age=120; Path=\/o\/applications\/\d+\/; HttpOnly; SameSite=Strict$/,
    )
    expect(lastFlash).not.toContain(secret!)
  })

  it('a public client gets no secret', async () => {
    const { browser } = await signedIn()
    const created = await register(browser, {
      ...TUTORIAL_APP,
      client_type: 'public',
      authorization_grant_type: 'authorization-code',
      redirect_uris: 'http://127.0.0.1:8009/cb',
    })
    expect(created.status).toBe(200)
    expect(credentialsOn(created).secret).toBeUndefined()
    const row = await db()
      .select()
      .from(applications)
      .where(eq(applications.clientId, credentialsOn(created).clientId!))
      .get()
    expect(row!.clientSecretHash).toBeNull()
  })

  it.each([
    ['no name', { name: '' }, 'name', 'Give the application a name.'],
    ['an unknown client type', { client_type: 'secretive' }, 'client_type', 'Choose a client type.'],
    [
      'the implicit grant',
      { authorization_grant_type: 'implicit' },
      'authorization_grant_type',
      'Choose an authorization grant type.',
    ],
    [
      'a public client-credentials client',
      { client_type: 'public', authorization_grant_type: 'client-credentials' },
      'client_type',
      'Client credentials need a confidential client',
    ],
    [
      'a code app without redirect URI',
      { authorization_grant_type: 'authorization-code' },
      'redirect_uris',
      'needs at least one redirect URI',
    ],
    ['a relative redirect URI', { redirect_uris: '/cb' }, 'redirect_uris', '/cb is not an absolute URI.'],
    [
      'a redirect URI with a fragment',
      { redirect_uris: 'https://app.example/cb#x' },
      'redirect_uris',
      'has a fragment',
    ],
    [
      'plain http to a non-loopback host',
      { redirect_uris: 'http://app.example/cb' },
      'redirect_uris',
      'must use https',
    ],
    [
      'a javascript: redirect URI',
      { redirect_uris: 'javascript:alert(1)' },
      'redirect_uris',
      'cannot be a redirect URI',
    ],
    ['an origin with a path', { allowed_origins: 'https://app.example/' }, 'allowed_origins', 'is not an origin'],
    ['an http origin', { allowed_origins: 'http://app.example' }, 'allowed_origins', 'must use https'],
  ])('refuses %s, with the error beside the field and nothing stored', async (_name, change, field, message) => {
    const { user, browser } = await signedIn()
    const answer = await register(browser, { ...TUTORIAL_APP, ...change })
    expect(answer.status).toBe(400)
    const block = new RegExp(
      `<div class="invalid"><label for="id_${field}">[\\s\\S]*?<p class="field-error" id="id_${field}-error">([^<]*)</p>`,
    ).exec(answer.html)
    expect(block?.[1]).toContain(message)
    expect(answer.html).toContain(`aria-describedby="id_${field}-error"`)
    expect(await db().select().from(applications).where(eq(applications.userId, user.id)).all()).toEqual([])
  })

  it('accepts loopback http redirect URIs and origins, separated by any whitespace', async () => {
    const { browser } = await signedIn()
    const created = await register(browser, {
      ...TUTORIAL_APP,
      authorization_grant_type: 'authorization-code',
      redirect_uris: 'http://127.0.0.1:8009/cb\r\nhttps://app.example/cb  http://[::1]/cb',
      allowed_origins: 'https://app.example\nhttp://localhost:3000',
    })
    expect(created.status).toBe(200)
    const row = await db()
      .select()
      .from(applications)
      .where(eq(applications.clientId, credentialsOn(created).clientId!))
      .get()
    expect(row).toMatchObject({
      redirectUris: 'http://127.0.0.1:8009/cb https://app.example/cb http://[::1]/cb',
      allowedOrigins: 'https://app.example http://localhost:3000',
    })
  })

  it('refuses a registration without the CSRF token', async () => {
    const { user, browser } = await signedIn()
    const form = await browser.get('/o/applications/register/')
    expect(
      (await browser.submit(form, '/o/applications/register/', { ...TUTORIAL_APP, csrfmiddlewaretoken: null })).status,
    ).toBe(403)
    expect(await db().select().from(applications).where(eq(applications.userId, user.id)).all()).toEqual([])
  })
})

describe('managing an application', () => {
  async function ownApp() {
    const { user, browser } = await signedIn()
    const created = await register(browser)
    const { clientId, secret } = credentialsOn(created)
    const row = (await db().select().from(applications).where(eq(applications.clientId, clientId!)).get())!
    return { user, browser, row, secret: secret! }
  }

  it('lists only the user’s own applications', async () => {
    const { browser, row } = await ownApp()
    const others = await createApplication({ userId: (await createUser()).id })
    const list = await browser.get('/o/applications/')
    expect(list.status).toBe(200)
    expect(list.html).toContain(`href="/o/applications/${row.id}/"`)
    expect(list.html).not.toContain(others.name)
  })

  it.each(['/', '/update/', '/delete/'])('another user’s application answers 404 at %s', async (suffix) => {
    const { browser } = await signedIn()
    const others = await createApplication({ userId: (await createUser()).id })
    const before = await db().select().from(applications).where(eq(applications.id, others.id)).get()
    expect((await browser.get(`/o/applications/${others.id}${suffix}`)).status).toBe(404)
    const token = formFor((await browser.get('/o/applications/')).html, '/accounts/logout/').fields.csrfmiddlewaretoken!
    for (const action of ['update/', 'delete/', 'secret/']) {
      expect(
        (await browser.post(`/o/applications/${others.id}/${action}`, { csrfmiddlewaretoken: token, ...TUTORIAL_APP }))
          .status,
      ).toBe(404)
    }
    expect(await db().select().from(applications).where(eq(applications.id, others.id)).get()).toEqual(before)
  })

  it('edits the fields and keeps the secret', async () => {
    const { browser, row, secret } = await ownApp()
    const form = await browser.get(`/o/applications/${row.id}/update/`)
    expect(formFor(form.html, `/o/applications/${row.id}/update/`).fields).toMatchObject({
      name: 'tutorial',
      client_type: 'confidential',
      authorization_grant_type: 'password',
    })
    const saved = await browser.submit(form, `/o/applications/${row.id}/update/`, {
      name: 'renamed',
      allowed_origins: 'https://app.example',
    })
    expect(saved.status).toBe(302)
    expect(saved.location).toBe(`/o/applications/${row.id}/?saved`)
    expect(textOf((await browser.get(saved.location!)).html)).toContain('Changes saved.')
    const updated = await db().select().from(applications).where(eq(applications.id, row.id)).get()
    expect(updated).toMatchObject({
      name: 'renamed',
      allowedOrigins: 'https://app.example',
      clientSecretHash: sha256Hex(secret),
    })
  })

  it('an invalid edit changes nothing and says why', async () => {
    const { browser, row } = await ownApp()
    const form = await browser.get(`/o/applications/${row.id}/update/`)
    const answer = await browser.submit(form, `/o/applications/${row.id}/update/`, {
      redirect_uris: 'http://app.example/cb',
    })
    expect(answer.status).toBe(400)
    expect(textOf(answer.html)).toContain('must use https')
    expect(await db().select().from(applications).where(eq(applications.id, row.id)).get()).toEqual(row)
  })

  it('turning public drops the secret; turning confidential again shows a new one', async () => {
    const { browser, row } = await ownApp()
    let form = await browser.get(`/o/applications/${row.id}/update/`)
    await browser.submit(form, `/o/applications/${row.id}/update/`, { client_type: 'public' })
    expect(
      (await db().select().from(applications).where(eq(applications.id, row.id)).get())!.clientSecretHash,
    ).toBeNull()
    form = await browser.get(`/o/applications/${row.id}/update/`)
    const back = await browser.submit(form, `/o/applications/${row.id}/update/`, { client_type: 'confidential' })
    expect(back.status).toBe(200)
    const { secret } = credentialsOn(back)
    expect((await db().select().from(applications).where(eq(applications.id, row.id)).get())!.clientSecretHash).toBe(
      sha256Hex(secret!),
    )
  })

  it('regenerating the secret shows the new one once; the old one stops working', async () => {
    const { user, browser, row, secret } = await ownApp()
    const detail = await browser.get(`/o/applications/${row.id}/`)
    const answer = await browser.submit(detail, `/o/applications/${row.id}/secret/`)
    expect(answer.status).toBe(200)
    const fresh = credentialsOn(answer).secret!
    expect(fresh).not.toBe(secret)
    const tokenWith = (s: string) =>
      call('/o/token/', {
        basic: [row.clientId, s],
        form: { grant_type: 'password', username: user.username, password: PASSWORD },
      })
    expect((await tokenWith(secret)).status).toBe(401)
    expect((await tokenWith(fresh)).status).toBe(200)
  })

  it('deleting asks first, then removes the app and revokes the tokens users granted it', async () => {
    const flow = await authorizationCodeFlow({ scope: 'read' })
    const owner = await createUser()
    await db().update(applications).set({ userId: owner.id }).where(eq(applications.id, flow.app.id)).run()
    const browser = new Browser()
    await browser.signIn(owner.username)
    const confirm = await browser.get(`/o/applications/${flow.app.id}/delete/`)
    expect(confirm.status).toBe(200)
    expect(textOf(confirm.html)).toContain(`Delete ${flow.app.name}?`)
    expect((await call('/users/', { token: flow.tokens.access_token })).status).toBe(200)
    const answer = await browser.submit(confirm, `/o/applications/${flow.app.id}/delete/`)
    expect(answer.status).toBe(303)
    expect(answer.location).toBe('/o/applications/')
    expect(await db().select().from(applications).where(eq(applications.id, flow.app.id)).get()).toBeUndefined()
    expect((await call('/users/', { token: flow.tokens.access_token })).status).toBe(401)
  })

  it('shows the tutorial’s curl command for a password app, with this server’s token endpoint', async () => {
    const { browser, row } = await ownApp()
    const page = await browser.get(`/o/applications/${row.id}/`)
    expect(textOf(page.html)).toContain(
      `curl -X POST -d "grant_type=password&username=<user_name>&password=<password>" -u"${row.clientId}:<client_secret>" ${ORIGIN}/o/token/`,
    )
  })
})
