/**
 * "Skip authorization" is the administrator's (issue 9, item 1): an application that skips consent
 * gets a code for any signed-in user who follows its link (RFC 6749 §10.2), so the self-service
 * pages neither offer nor take it, and the migration that made it so cleared it where they had set it.
 */
import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { eq, inArray } from 'drizzle-orm'
import { applications, authorizationCodes } from '../../src/db/schema'
import { Browser, formFor, textOf } from '../helpers/browser'
import { authorizeUrl, REDIRECT, redirectParams } from '../helpers/flows'
import { ORIGIN } from '../helpers/http'
import { createApplication, createUser, db } from '../helpers/seed'

async function signedIn() {
  const user = await createUser()
  const browser = new Browser()
  expect((await browser.signIn(user.username)).status).toBe(302)
  return { user, browser }
}

const CODE_APP = {
  name: 'trusted',
  client_type: 'confidential',
  authorization_grant_type: 'authorization-code',
  redirect_uris: REDIRECT,
  allowed_origins: '',
}

/** Registers through the page with `skip_authorization=on` added to the post, as a forged form would. */
async function registerSkipping(browser: Browser) {
  const form = await browser.get('/o/applications/register/')
  const posted = await browser.submit(form, '/o/applications/register/', { ...CODE_APP, skip_authorization: 'on' })
  expect(posted.status).toBe(303)
  const created = await browser.get(posted.location!)
  expect(created.status).toBe(200)
  const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(created.html)![1]!
  return (await db().select().from(applications).where(eq(applications.clientId, clientId)).get())!
}

const skipOf = async (id: number) =>
  (await db().select().from(applications).where(eq(applications.id, id)).get())!.skipAuthorization

describe('the self-service application pages', () => {
  it('offer no Skip authorization field, on the register form or the edit form', async () => {
    const { user, browser } = await signedIn()
    const app = await createApplication({ userId: user.id, skipAuthorization: true })
    for (const [path, action] of [
      ['/o/applications/register/', '/o/applications/register/'],
      [`/o/applications/${app.id}/update/`, `/o/applications/${app.id}/update/`],
    ] as const) {
      const page = await browser.get(path)
      expect(page.status).toBe(200)
      expect(Object.keys(formFor(page.html, action).fields).sort()).toEqual([
        'allowed_origins',
        'authorization_grant_type',
        'client_type',
        'csrfmiddlewaretoken',
        'name',
        'redirect_uris',
      ])
      expect(page.html).not.toContain('skip_authorization')
      expect(textOf(page.html)).not.toMatch(/skip authorization/i)
    }
  })

  it('ignore skip_authorization=on posted to the register form: the app is stored without it', async () => {
    const { browser } = await signedIn()
    const app = await registerSkipping(browser)
    expect(app.skipAuthorization).toBe(false)
  })

  it('ignore skip_authorization=on posted to the edit form, and keep the flag an administrator set', async () => {
    const { user, browser } = await signedIn()
    const plain = await createApplication({ userId: user.id })
    const trusted = await createApplication({ userId: user.id, skipAuthorization: true })

    const form = await browser.get(`/o/applications/${plain.id}/update/`)
    expect(
      (await browser.submit(form, `/o/applications/${plain.id}/update/`, { skip_authorization: 'on' })).status,
    ).toBe(302)
    expect(await skipOf(plain.id)).toBe(false)

    // The form posts no such field: an edit must not read its absence as "off".
    const edit = await browser.get(`/o/applications/${trusted.id}/update/`)
    expect((await browser.submit(edit, `/o/applications/${trusted.id}/update/`, { name: 'renamed' })).status).toBe(302)
    expect(await db().select().from(applications).where(eq(applications.id, trusted.id)).get()).toMatchObject({
      name: 'renamed',
      skipAuthorization: true,
    })
  })

  it.each<[string, Record<string, string>]>([
    ['its redirect URIs', { redirect_uris: 'https://attacker.example/cb' }],
    ['its client type', { client_type: 'public' }],
    ['its grant type', { authorization_grant_type: 'password' }],
  ])('end the trust an administrator gave when the owner changes %s: consent is asked again', async (_, change) => {
    const owner = await signedIn()
    const app = await createApplication({
      userId: owner.user.id,
      skipAuthorization: true,
      authorizationGrantType: 'authorization-code',
      redirectUris: REDIRECT,
    })
    const edit = await owner.browser.get(`/o/applications/${app.id}/update/`)
    expect((await owner.browser.submit(edit, `/o/applications/${app.id}/update/`, change)).status).toBe(302)
    expect(await skipOf(app.id)).toBe(false)
    if (change.redirect_uris) {
      // The attack the rule stops: another user following the link is asked, not sent to the new URI.
      const victim = await signedIn()
      const url = authorizeUrl({ response_type: 'code', client_id: app.clientId, redirect_uri: change.redirect_uris })
      const silent = redirectParams(await victim.browser.get(`${url}&prompt=none`))
      expect(silent.get('error')).toBe('consent_required')
    }
  })

  it('a self-registered app still gets the consent page for another user, and prompt=none gets consent_required', async () => {
    const attacker = await signedIn()
    const app = await registerSkipping(attacker.browser)
    const victim = await signedIn()
    const link = (extra: Record<string, string> = {}) =>
      authorizeUrl({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        scope: 'openid profile email read write',
        state: 's',
        ...extra,
      })

    const page = await victim.browser.get(link())
    expect(page.status).toBe(200)
    expect(textOf(page.html)).toContain('Authorize trusted?')
    formFor(page.html, '/o/authorize/')

    const silent = redirectParams(await victim.browser.get(link({ prompt: 'none' })))
    expect(Object.fromEntries(silent)).toEqual({ error: 'consent_required', state: 's', iss: ORIGIN })
    expect(
      await db().select().from(authorizationCodes).where(eq(authorizationCodes.applicationId, app.id)).all(),
    ).toEqual([])
  })
})

describe('the migration 0001_skip_authorization_admin_only', () => {
  it('clears the flag of apps whose owner is not staff; apps of staff and apps without owner keep it', async () => {
    const [person, staff, inactiveStaff] = [
      await createUser(),
      await createUser({ isStaff: true }),
      await createUser({ isStaff: true, isActive: false }),
    ]
    const apps = {
      personSkipping: await createApplication({ userId: person.id, skipAuthorization: true, updated: 1 }),
      personPlain: await createApplication({ userId: person.id, updated: 1 }),
      staffSkipping: await createApplication({ userId: staff.id, skipAuthorization: true, updated: 1 }),
      inactiveStaffSkipping: await createApplication({ userId: inactiveStaff.id, skipAuthorization: true, updated: 1 }),
      cliSkipping: await createApplication({ userId: null, skipAuthorization: true, updated: 1 }),
    }
    const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0001_skip_authorization_admin_only.sql')
    expect(migration?.queries.length).toBeGreaterThan(0)
    for (const query of migration!.queries) await env.DB.prepare(query).run()

    const ids = Object.values(apps).map((a) => a.id)
    const rows = await db().select().from(applications).where(inArray(applications.id, ids)).all()
    const after = Object.fromEntries(
      Object.entries(apps).map(([key, app]) => [key, rows.find((r) => r.id === app.id)!]),
    )
    expect(Object.fromEntries(Object.entries(after).map(([key, row]) => [key, row.skipAuthorization]))).toEqual({
      personSkipping: false,
      personPlain: false,
      staffSkipping: true,
      inactiveStaffSkipping: true,
      cliSkipping: true,
    })
    // Only the row it changed is marked updated.
    expect(after.personSkipping!.updated).toBeGreaterThan(1)
    expect([after.personPlain, after.staffSkipping, after.cliSkipping].map((row) => row!.updated)).toEqual([1, 1, 1])
  })
})
