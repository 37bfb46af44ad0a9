/**
 * The admin site at /admin/ through HTTP, as a browser and a forger see it: staff only, superuser-
 * only privileges (forged posts included), CSRF on every POST, revocation on deactivate/delete so
 * an old token is 401 at once, 404 for missing objects, and the action log.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { adminLog, applications, sessions, userGroups, users } from '../../src/db/schema'
import { sha256Hex } from '../../src/crypto/token'
import { Browser, formFor, formsOf, textOf } from '../helpers/browser'
import { call, read } from '../helpers/http'
import { passwordToken, refresh } from '../helpers/grants'
import { createApplication, createGroup, createUser, db, unique } from '../helpers/seed'
import { rememberSecret } from '../helpers/secrets'
import { when } from '../../src/web/views/admin/parts'

async function signedInAs(overrides: Partial<typeof users.$inferInsert>) {
  const user = await createUser(overrides)
  const browser = new Browser()
  const res = await browser.signIn(user.username)
  expect(res.status).toBe(302)
  return { user, browser }
}
const staff = () => signedInAs({ isStaff: true })
const superuser = () => signedInAs({ isStaff: true, isSuperuser: true })

/** A user with a live password grant: the tokens their client holds. */
async function userWithToken() {
  const app = await createApplication()
  const user = await createUser()
  const res = await passwordToken({ app, user })
  expect(res.status).toBe(200)
  return { app, user, tokens: res.body as { access_token: string; refresh_token: string } }
}

const apiStatus = async (token: string) => (await call('/users/', { token })).status

/** Posts the change form of a user page as the browser shows it, with `changes` (null drops a field). */
async function changeUser(browser: Browser, userId: number, changes: Record<string, string | null>) {
  const page = await browser.get(`/admin/auth/user/${userId}/change/`)
  // The test browser reads a multiple select with nothing selected as its first option: drop it.
  return browser.submit(page, `/admin/auth/user/${userId}/change/`, { groups: null, ...changes })
}

describe('who may use /admin/', () => {
  it('anonymous: redirected to sign in, coming back to /admin/', async () => {
    const page = await new Browser().get('/admin/')
    expect(page.status).toBe(302)
    expect(page.location).toBe(`/accounts/login/?next=${encodeURIComponent('/admin/')}`)
  })

  it('signed in without is_staff: 403 on every admin page and every POST, with the page headers', async () => {
    const { browser } = await signedInAs({})
    const target = await createUser()
    for (const path of [
      '/admin/',
      '/admin/auth/user/',
      `/admin/auth/user/${target.id}/change/`,
      '/admin/auth/group/add/',
      '/admin/oauth2_provider/application/',
      '/admin/oauth2_provider/accesstoken/',
      '/admin/nothing/here/',
    ]) {
      const page = await browser.get(path)
      expect([path, page.status]).toEqual([path, 403])
      expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
      expect(page.headers.get('Cache-Control')).toBe('no-store')
    }
    // Even with a valid CSRF token from another page, a non-staff POST changes nothing.
    const csrf = formFor((await browser.get('/o/applications/register/')).html, '/o/applications/register/').fields
      .csrfmiddlewaretoken!
    const res = await browser.post(`/admin/auth/user/${target.id}/change/`, {
      csrfmiddlewaretoken: csrf,
      username: target.username,
      is_active: 'on',
      is_staff: 'on',
      is_superuser: 'on',
    })
    expect(res.status).toBe(403)
    const after = await db().select().from(users).where(eq(users.id, target.id)).get()
    expect(after!.isStaff).toBe(false)
  })

  it('an inactive staff user is not signed in at all (the session requires an active user)', async () => {
    const { user, browser } = await staff()
    await db().update(users).set({ isActive: false }).where(eq(users.id, user.id)).run()
    expect((await browser.get('/admin/')).status).toBe(302)
  })

  it('staff status removed by plain SQL during a live admin session: the next page and POST are 403', async () => {
    const { user, browser } = await staff()
    const target = await createUser()
    const page = await browser.get(`/admin/auth/user/${target.id}/change/`)
    expect(page.status).toBe(200)
    await db().update(users).set({ isStaff: false }).where(eq(users.id, user.id)).run()
    expect((await browser.get('/admin/')).status).toBe(403)
    // The form fetched while still staff carries a valid CSRF token: the POST is refused all the same.
    const res = await browser.submit(page, `/admin/auth/user/${target.id}/change/`, {
      groups: null,
      first_name: 'Changed',
    })
    expect(res.status).toBe(403)
    const after = await db().select().from(users).where(eq(users.id, target.id)).get()
    expect(after!.firstName).toBe(target.firstName)
  })

  it('a superuser demoted by plain SQL mid-session can no longer grant superuser status', async () => {
    const { user, browser } = await superuser()
    const target = await createUser()
    const page = await browser.get(`/admin/auth/user/${target.id}/change/`)
    expect(page.html).toContain('is_superuser')
    await db().update(users).set({ isSuperuser: false }).where(eq(users.id, user.id)).run()
    const res = await browser.submit(page, `/admin/auth/user/${target.id}/change/`, {
      groups: null,
      is_staff: 'on',
      is_superuser: 'on',
    })
    expect(res.status).toBe(403)
    const after = await db().select().from(users).where(eq(users.id, target.id)).get()
    expect({ isStaff: after!.isStaff, isSuperuser: after!.isSuperuser }).toEqual({ isStaff: false, isSuperuser: false })
  })

  it('active staff: the index lists the models and the recent actions', async () => {
    const { browser } = await staff()
    const page = await browser.get('/admin/')
    expect(page.status).toBe(200)
    for (const href of [
      '/admin/auth/user/',
      '/admin/auth/group/',
      '/admin/oauth2_provider/application/',
      '/admin/oauth2_provider/accesstoken/',
    ])
      expect(page.html).toContain(`href="${href}"`)
    expect(textOf(page.html)).toContain('Recent actions')
  })

  it('/admin without the slash goes to /admin/', async () => {
    const { browser } = await staff()
    const page = await browser.get('/admin')
    expect(page.status).toBe(301)
    expect(page.location).toBe('/admin/')
  })
})

describe('users', () => {
  it('add: username and the two passwords, with the password validators; then the change page', async () => {
    const { browser, user: actor } = await staff()
    const form = await browser.get('/admin/auth/user/add/')
    const username = unique('added')
    const weak = await browser.submit(form, '/admin/auth/user/add/', { username, password1: '1234', password2: '1234' })
    expect(weak.status).toBe(400)
    expect(textOf(weak.html)).toContain('This password is too short. It must contain at least 8 characters.')
    expect(textOf(weak.html)).toContain('This password is entirely numeric.')
    const mismatch = await browser.submit(form, '/admin/auth/user/add/', {
      username,
      password1: 'a long enough passphrase',
      password2: 'another long passphrase',
    })
    expect(mismatch.status).toBe(400)
    expect(textOf(mismatch.html)).toContain('The two password fields didn’t match.')
    rememberSecret('a long enough passphrase')
    const ok = await browser.submit(form, '/admin/auth/user/add/', {
      username,
      password1: 'a long enough passphrase',
      password2: 'a long enough passphrase',
    })
    expect(ok.status).toBe(303)
    const added = await db().select().from(users).where(eq(users.username, username)).get()
    expect(ok.location).toBe(`/admin/auth/user/${added!.id}/change/?added`)
    expect(added).toMatchObject({ isActive: true, isStaff: false, isSuperuser: false })
    // It signs in with that password, and the log says who added it.
    const signIn = await new Browser().signIn(username, 'a long enough passphrase')
    expect(signIn.status).toBe(302)
    const entries = await db()
      .select()
      .from(adminLog)
      .where(eq(adminLog.objectId, String(added!.id)))
      .all()
    expect(entries).toEqual([
      expect.objectContaining({
        actorId: actor.id,
        actorUsername: actor.username,
        objectType: 'user',
        action: 'add',
        objectRepr: username,
      }),
    ])
    // A taken username is a field error, not a 500.
    const again = await browser.submit(form, '/admin/auth/user/add/', {
      username,
      password1: 'a long enough passphrase',
      password2: 'a long enough passphrase',
    })
    expect(again.status).toBe(400)
    expect(textOf(again.html)).toContain('A user with that username already exists.')
  })

  it('list: search on username/email/name, filters, pagination by 100', async () => {
    const { browser } = await staff()
    const tag = unique('srch')
    const rows = Array.from({ length: 101 }, (_, i) => ({
      username: `${tag}_${String(i).padStart(3, '0')}`,
      password: '!',
      isActive: i !== 0,
    }))
    // D1 binds at most 100 variables per statement: ten rows at a time.
    for (let i = 0; i < rows.length; i += 10)
      await db()
        .insert(users)
        .values(rows.slice(i, i + 10))
        .run()
    const byMail = await createUser({ email: `${tag}@example.com` })
    const first = await browser.get(`/admin/auth/user/?q=${tag}`)
    expect(first.status).toBe(200)
    expect(textOf(first.html)).toContain('102 in all · page 1 of 2')
    const second = await browser.get(`/admin/auth/user/?q=${tag}&p=2`)
    expect(second.html.match(/\/admin\/auth\/user\/\d+\/change\//g)).toHaveLength(2)
    expect(second.html).toContain(byMail.username)
    const inactive = await browser.get(`/admin/auth/user/?q=${tag}&is_active__exact=0`)
    expect(textOf(inactive.html)).toContain('1 in all')
    // LIKE's wildcards are taken literally.
    expect(textOf((await browser.get(`/admin/auth/user/?q=${tag.slice(0, 3)}%25_zz`)).html)).toContain('0 in all')
  })

  it('change: fields and groups saved in one batch, logged with what changed', async () => {
    const { browser } = await staff()
    const target = await createUser()
    const group = await createGroup()
    const page = await browser.get(`/admin/auth/user/${target.id}/change/`)
    const { groups: _, ...fields } = formFor(page.html, `/admin/auth/user/${target.id}/change/`).fields
    const body = new URLSearchParams({ ...fields, first_name: 'Ada', email: 'ada@example.com' })
    body.append('groups', String(group.id))
    const res = await browser.post(`/admin/auth/user/${target.id}/change/`, body)
    expect(res.status).toBe(303)
    const after = await browser.get(res.location!)
    expect(textOf(after.html)).toContain('The user was changed.')
    expect(textOf(after.html)).toContain('Changed first name, email, groups.')
    const row = await db().select().from(users).where(eq(users.id, target.id)).get()
    expect(row).toMatchObject({ firstName: 'Ada', email: 'ada@example.com' })
    const bad = new URLSearchParams({ ...fields, email: 'not an email' })
    bad.append('groups', '999999')
    const refused = await browser.post(`/admin/auth/user/${target.id}/change/`, bad)
    expect(refused.status).toBe(400)
    expect(textOf(refused.html)).toContain('Enter a valid email address.')
  })

  it('two admins saving the same user at once: the row and its groups come from one of the two saves, never a mix', async () => {
    const [first, second] = [await staff(), await staff()]
    const target = await createUser()
    const [groupA, groupB] = [await createGroup(), await createGroup()]
    const save = async (browser: Browser, firstName: string, groupId: number) => {
      const page = await browser.get(`/admin/auth/user/${target.id}/change/`)
      const { groups: _, ...fields } = formFor(page.html, `/admin/auth/user/${target.id}/change/`).fields
      const body = new URLSearchParams({ ...fields, first_name: firstName })
      body.append('groups', String(groupId))
      return () => browser.post(`/admin/auth/user/${target.id}/change/`, body)
    }
    const posts = [await save(first.browser, 'Alpha', groupA.id), await save(second.browser, 'Beta', groupB.id)]
    const answers = await Promise.all(posts.map((post) => post()))
    expect(answers.map((res) => res.status)).toEqual([303, 303])
    const row = await db().select().from(users).where(eq(users.id, target.id)).get()
    const memberOf = await db().select().from(userGroups).where(eq(userGroups.userId, target.id)).all()
    const state = { firstName: row!.firstName, groups: memberOf.map((r) => r.groupId) }
    expect([
      { firstName: 'Alpha', groups: [groupA.id] },
      { firstName: 'Beta', groups: [groupB.id] },
    ]).toContainEqual(state)
  })

  it('a staff user who is not a superuser sees no privilege fields and a forged POST is refused (themselves included)', async () => {
    const { browser, user: me } = await staff()
    const target = await createUser()
    for (const who of [target, me]) {
      const page = await browser.get(`/admin/auth/user/${who.id}/change/`)
      const fields = formFor(page.html, `/admin/auth/user/${who.id}/change/`).fields
      expect(Object.keys(fields)).not.toContain('is_staff')
      expect(Object.keys(fields)).not.toContain('is_superuser')
      for (const forged of ['is_staff', 'is_superuser']) {
        const res = await browser.post(`/admin/auth/user/${who.id}/change/`, { ...fields, [forged]: 'on' })
        expect(res.status).toBe(403)
        expect(textOf(res.html)).toContain('Only a superuser may grant or remove staff or superuser status')
      }
    }
    const forgedAdd = await browser.post('/admin/auth/user/add/', {
      csrfmiddlewaretoken: formFor((await browser.get('/admin/auth/user/add/')).html, '/admin/auth/user/add/').fields
        .csrfmiddlewaretoken!,
      username: unique('forged'),
      password1: 'a long enough passphrase',
      password2: 'a long enough passphrase',
      is_superuser: 'on',
    })
    expect(forgedAdd.status).toBe(403)
    const rows = await db().select().from(users).where(eq(users.id, me.id)).get()
    expect(rows).toMatchObject({ isStaff: true, isSuperuser: false })
    expect((await db().select().from(users).where(eq(users.id, target.id)).get())!.isStaff).toBe(false)
  })

  it("a staff user may not change, set the password of or delete a superuser's account", async () => {
    const { browser } = await staff()
    const boss = await createUser({ isStaff: true, isSuperuser: true })
    const page = await browser.get(`/admin/auth/user/${boss.id}/change/`)
    expect(page.status).toBe(200)
    const fields = formFor(page.html, `/admin/auth/user/${boss.id}/change/`).fields
    expect(
      (await browser.post(`/admin/auth/user/${boss.id}/change/`, { ...fields, email: 'x@example.com' })).status,
    ).toBe(403)
    const csrf = fields.csrfmiddlewaretoken!
    expect(
      (
        await browser.post(`/admin/auth/user/${boss.id}/password/`, {
          csrfmiddlewaretoken: csrf,
          password1: 'a long enough passphrase',
          password2: 'a long enough passphrase',
        })
      ).status,
    ).toBe(403)
    expect((await browser.post(`/admin/auth/user/${boss.id}/delete/`, { csrfmiddlewaretoken: csrf })).status).toBe(403)
    expect(await db().select().from(users).where(eq(users.id, boss.id)).get()).toMatchObject({ email: boss.email })
  })

  it('a superuser grants and removes staff and superuser status', async () => {
    const { browser } = await superuser()
    const target = await createUser()
    expect((await changeUser(browser, target.id, { is_staff: 'on', is_superuser: 'on' })).status).toBe(303)
    expect(await db().select().from(users).where(eq(users.id, target.id)).get()).toMatchObject({
      isStaff: true,
      isSuperuser: true,
    })
    expect((await changeUser(browser, target.id, { is_staff: null, is_superuser: null })).status).toBe(303)
    expect(await db().select().from(users).where(eq(users.id, target.id)).get()).toMatchObject({
      isStaff: false,
      isSuperuser: false,
    })
  })

  it('deactivating revokes every grant (KV record gone) and ends every session, in the same action: the old token is 401 at once', async () => {
    const { browser } = await staff()
    const { app, user, tokens } = await userWithToken()
    const theirs = new Browser()
    await theirs.signIn(user.username)
    expect(await apiStatus(tokens.access_token)).toBe(200)
    const res = await changeUser(browser, user.id, { is_active: null })
    expect(res.status).toBe(303)
    expect(await apiStatus(tokens.access_token)).toBe(401)
    // Reactivated, the old token stays dead: it was revoked, not merely refused for the flag.
    expect((await changeUser(browser, user.id, { is_active: 'on' })).status).toBe(303)
    expect(await apiStatus(tokens.access_token)).toBe(401)
    expect((await refresh(app, tokens.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    expect(await db().select().from(sessions).where(eq(sessions.userId, user.id)).all()).toEqual([])
    expect((await theirs.get('/o/applications/')).status).toBe(302)
  })

  it('a refresh racing the deactivation leaves no live token behind, whichever wins', async () => {
    const { browser } = await staff()
    const { app, user, tokens } = await userWithToken()
    const page = await browser.get(`/admin/auth/user/${user.id}/change/`)
    const fields = { ...formFor(page.html, `/admin/auth/user/${user.id}/change/`).fields }
    delete fields.is_active
    delete fields.groups
    const [deactivated, refreshed] = await Promise.all([
      browser.post(`/admin/auth/user/${user.id}/change/`, fields),
      refresh(app, tokens.refresh_token),
    ])
    expect(deactivated.status).toBe(303)
    expect(await apiStatus(tokens.access_token)).toBe(401)
    if (refreshed.status === 200) {
      rememberSecret(refreshed.body.access_token)
      expect(await apiStatus(refreshed.body.access_token)).toBe(401)
      expect((await refresh(app, refreshed.body.refresh_token)).body).toEqual({ error: 'invalid_grant' })
    } else expect(refreshed.body).toEqual({ error: 'invalid_grant' })
  })

  it('delete: a confirmation page, then POST revokes their grants and those of the applications they own', async () => {
    const { browser } = await staff()
    const { user, tokens } = await userWithToken()
    const owned = await createApplication({ userId: user.id })
    const other = await createUser()
    const viaOwned = await passwordToken({ app: owned, user: other })
    const confirm = await browser.get(`/admin/auth/user/${user.id}/delete/`)
    expect(confirm.status).toBe(200)
    expect(textOf(confirm.html)).toContain(owned.name)
    const res = await browser.submit(confirm, `/admin/auth/user/${user.id}/delete/`)
    expect(res.status).toBe(303)
    expect(res.location).toBe('/admin/auth/user/?deleted')
    expect(await apiStatus(tokens.access_token)).toBe(401)
    expect(await apiStatus(viaOwned.body.access_token)).toBe(401)
    expect(await db().select().from(applications).where(eq(applications.id, owned.id)).all()).toEqual([])
    const recent = textOf((await browser.get('/admin/')).html)
    expect(recent).toContain(`deleted user “${user.username}”`)
  })

  it('set password: the validators apply; the new password works and their sessions end', async () => {
    const { browser } = await staff()
    const target = await createUser()
    const theirs = new Browser()
    await theirs.signIn(target.username)
    const page = await browser.get(`/admin/auth/user/${target.id}/password/`)
    const short = await browser.submit(page, `/admin/auth/user/${target.id}/password/`, {
      password1: 'abc',
      password2: 'abc',
    })
    expect(short.status).toBe(400)
    rememberSecret('brand new passphrase 42')
    const ok = await browser.submit(page, `/admin/auth/user/${target.id}/password/`, {
      password1: 'brand new passphrase 42',
      password2: 'brand new passphrase 42',
    })
    expect(ok.status).toBe(303)
    expect((await theirs.get('/o/applications/')).status).toBe(302)
    expect((await new Browser().signIn(target.username, 'brand new passphrase 42')).status).toBe(302)
  })
})

describe('groups, applications, tokens', () => {
  it('groups: add, change members, delete revokes the members’ grants; all logged', async () => {
    const { browser } = await staff()
    const { user, tokens } = await userWithToken()
    const name = unique('team')
    const add = await browser.submit(await browser.get('/admin/auth/group/add/'), '/admin/auth/group/add/', { name })
    expect(add.status).toBe(303)
    const id = Number(/\/admin\/auth\/group\/(\d+)\/change\//.exec(add.location!)![1])
    const change = await browser.get(`/admin/auth/group/${id}/change/`)
    const { members: _, ...fields } = formFor(change.html, `/admin/auth/group/${id}/change/`).fields
    const body = new URLSearchParams(fields)
    body.append('members', String(user.id))
    expect((await browser.post(`/admin/auth/group/${id}/change/`, body)).status).toBe(303)
    const taken = await browser.submit(await browser.get('/admin/auth/group/add/'), '/admin/auth/group/add/', { name })
    expect(taken.status).toBe(400)
    const confirm = await browser.get(`/admin/auth/group/${id}/delete/`)
    expect(textOf(confirm.html)).toContain('1 member(s)')
    expect((await browser.submit(confirm, `/admin/auth/group/${id}/delete/`)).status).toBe(303)
    expect(await apiStatus(tokens.access_token)).toBe(401)
    const log = await db()
      .select()
      .from(adminLog)
      .where(eq(adminLog.objectId, String(id)))
      .all()
    expect(log.filter((e) => e.objectType === 'group').map((e) => [e.action, e.message])).toEqual([
      ['add', ''],
      ['change', 'Added 1 member(s).'],
      ['delete', ''],
    ])
  })

  it('applications: add with owner and skip_authorization; the secret shows once, after a redirect', async () => {
    const { browser } = await staff()
    const owner = await createUser()
    const form = await browser.get('/admin/oauth2_provider/application/add/')
    const res = await browser.submit(form, '/admin/oauth2_provider/application/add/', {
      name: 'admin made',
      client_type: 'confidential',
      authorization_grant_type: 'password',
      user: String(owner.id),
      skip_authorization: 'on',
    })
    expect(res.status).toBe(303)
    const shown = await browser.get(res.location!)
    const secret = /<code id="client-secret">([^<]+)<\/code>/.exec(shown.html)?.[1]
    rememberSecret(secret)
    const app = await db().select().from(applications).where(eq(applications.name, 'admin made')).get()
    expect(app).toMatchObject({ userId: owner.id, skipAuthorization: true, clientSecretHash: sha256Hex(secret!) })
    // Reloading shows no secret and registers nothing.
    const reload = await browser.get(res.location!)
    expect(reload.html).not.toContain('client-secret')
    expect(await db().select().from(applications).where(eq(applications.name, 'admin made')).all()).toHaveLength(1)
    // The redirect URI rules of the owners' pages apply here too.
    const bad = await browser.submit(form, '/admin/oauth2_provider/application/add/', {
      name: 'bad',
      authorization_grant_type: 'authorization-code',
      redirect_uris: 'http://example.com/cb',
    })
    expect(bad.status).toBe(400)
  })

  it('applications: delete revokes its grants at once; a missing application is 404', async () => {
    const { browser } = await staff()
    const { app, tokens } = await userWithToken()
    const confirm = await browser.get(`/admin/oauth2_provider/application/${app.id}/delete/`)
    expect((await browser.submit(confirm, `/admin/oauth2_provider/application/${app.id}/delete/`)).status).toBe(303)
    expect(await apiStatus(tokens.access_token)).toBe(401)
    for (const path of [
      `/admin/oauth2_provider/application/${app.id}/change/`,
      '/admin/auth/user/99999999/change/',
      '/admin/auth/user/abc/change/',
      '/admin/auth/group/99999999/delete/',
    ])
      expect([path, (await browser.get(path)).status]).toEqual([path, 404])
  })

  it('access tokens: listed by user; revoking a selection ends those only', async () => {
    const { browser } = await staff()
    const a = await userWithToken()
    const b = await userWithToken()
    const list = await browser.get(`/admin/oauth2_provider/accesstoken/?user=${a.user.id}`)
    expect(textOf(list.html)).toContain('1 in all')
    const fields = formFor(list.html, '/admin/oauth2_provider/accesstoken/revoke/').fields
    const ids = [...list.html.matchAll(/name="_selected_action" value="([^"]+)"/g)].map((m) => m[1]!)
    expect(ids).toHaveLength(1)
    const res = await browser.post('/admin/oauth2_provider/accesstoken/revoke/', {
      csrfmiddlewaretoken: fields.csrfmiddlewaretoken!,
      _selected_action: ids[0]!,
    })
    expect(res.status).toBe(303)
    expect(res.location).toBe('/admin/oauth2_provider/accesstoken/?revoked=1')
    expect(await apiStatus(a.tokens.access_token)).toBe(401)
    expect(await apiStatus(b.tokens.access_token)).toBe(200)
  })

  it('every POST needs the CSRF token: without it, or from another site, nothing changes', async () => {
    const { browser } = await superuser()
    const { user, tokens } = await userWithToken()
    const group = await createGroup()
    const page = await browser.get(`/admin/auth/user/${user.id}/change/`)
    const fields = formFor(page.html, `/admin/auth/user/${user.id}/change/`).fields
    const posts: Array<[string, Record<string, string>]> = [
      [
        '/admin/auth/user/add/',
        { username: unique('x'), password1: 'a long enough passphrase', password2: 'a long enough passphrase' },
      ],
      [`/admin/auth/user/${user.id}/change/`, { ...fields, is_active: '' }],
      [
        `/admin/auth/user/${user.id}/password/`,
        { password1: 'a long enough passphrase', password2: 'a long enough passphrase' },
      ],
      [`/admin/auth/user/${user.id}/delete/`, {}],
      ['/admin/auth/group/add/', { name: unique('g') }],
      [`/admin/auth/group/${group.id}/change/`, { name: 'renamed' }],
      [`/admin/auth/group/${group.id}/delete/`, {}],
      [
        '/admin/oauth2_provider/application/add/',
        { name: 'x', client_type: 'public', authorization_grant_type: 'password' },
      ],
      ['/admin/oauth2_provider/accesstoken/revoke/', { _selected_action: 'x' }],
    ]
    for (const [path, form] of posts) {
      const { csrfmiddlewaretoken: _, ...noToken } = form as Record<string, string>
      const without = await browser.post(path, {
        ...noToken,
        ...(path.includes('/change/') ? { is_active: 'on' } : {}),
      })
      expect([path, without.status]).toEqual([path, 403])
      delete (noToken as Record<string, string>).csrfmiddlewaretoken
      const crossSite = await browser.post(
        path,
        { ...noToken, csrfmiddlewaretoken: fields.csrfmiddlewaretoken! },
        { Origin: 'https://evil.example' },
      )
      expect([path, crossSite.status]).toEqual([path, 403])
    }
    expect(await apiStatus(tokens.access_token)).toBe(200)
    expect(await db().select().from(users).where(eq(users.id, user.id)).get()).toMatchObject({ isActive: true })
  })
})

describe('clients that registered themselves (RFC 7591, Client ID Metadata Documents)', () => {
  /** The list's body rows, each as the text of its cells. */
  const rowsOf = (html: string) =>
    [...(/<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '').matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
      [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1]!)),
    )

  /** One application of each kind, named `<tag> <kind>`: one a person made, one that registered itself, one document client. */
  async function oneOfEach() {
    const tag = unique('selfreg')
    const manual = await createApplication({ name: `${tag} manual` })
    const registered = await read(
      await call('/o/register/', {
        json: { client_name: `${tag} dynamic`, redirect_uris: ['https://selfreg.example/cb'] },
        headers: { 'CF-Connecting-IP': '192.0.2.71' },
      }),
    )
    expect(registered.status).toBe(201)
    const dynamic = (await db()
      .select()
      .from(applications)
      .where(eq(applications.clientId, registered.body.client_id))
      .get())!
    // A document client's row as the server mirrors it, written behind the server's back (no fetch).
    const documentClient = await createApplication({
      name: `${tag} document`,
      clientId: `https://${tag.toLowerCase().replace(/_/g, '-')}.example/client.json`,
      clientType: 'public',
      authorizationGrantType: 'authorization-code',
      redirectUris: 'https://tool.example/cb',
      registration: 'metadata-document',
      lastUsedAt: Date.UTC(2026, 10, 2, 9, 30) / 1000,
    })
    return { tag, manual, dynamic, documentClient }
  }

  it('the list marks them and filters by how each was registered; the search keeps the filter', async () => {
    const { browser } = await staff()
    const { tag, manual, dynamic, documentClient } = await oneOfEach()
    const list = async (query: Record<string, string>) => {
      const page = await browser.get(`/admin/oauth2_provider/application/?${new URLSearchParams(query)}`)
      expect(page.status).toBe(200)
      return page
    }
    const all = await list({ q: tag })
    expect(rowsOf(all.html)).toEqual([
      [`${tag} manual`, manual.clientId, 'none', 'Confidential', 'Resource owner password-based', 'Manual'],
      [`${tag} dynamic`, dynamic.clientId, 'none', 'Confidential', 'Authorization code', 'Dynamic'],
      [`${tag} document`, documentClient.clientId, 'none', 'Public', 'Authorization code', 'Metadata document'],
    ])
    // The two that registered themselves carry the marker; the one a person made does not.
    expect(all.html.match(/<span class="tag" title="Registered itself: not verified">/g)).toHaveLength(2)
    expect(textOf(all.html)).toContain('Registration: All · Manual · Dynamic · Metadata document')
    expect(all.html).toContain(`href="?q=${tag}&amp;registration__exact=dynamic"`)

    for (const [registration, name] of [
      ['manual', 'manual'],
      ['dynamic', 'dynamic'],
      ['metadata-document', 'document'],
    ] as const) {
      const filtered = await list({ q: tag, registration__exact: registration })
      expect(rowsOf(filtered.html).map((r) => r[0])).toEqual([`${tag} ${name}`])
      expect(textOf(filtered.html)).toContain('1 in all')
      // The search box keeps the filter.
      expect(formsOf(filtered.html).find((f) => f.method === 'GET')!.fields).toEqual({
        q: tag,
        registration__exact: registration,
      })
    }
    // Not a registration: no filter (as if none were given), never an error.
    for (const value of ['', 'Dynamic', "dynamic' OR 1=1 --", 'constructor'])
      expect(rowsOf((await list({ q: tag, registration__exact: value })).html)).toHaveLength(3)
  })

  it('the change page says how a client registered itself, that nobody verified it, and when it was last used', async () => {
    const { browser } = await staff()
    const { manual, dynamic, documentClient } = await oneOfEach()
    const change = async (id: number) => {
      const page = await browser.get(`/admin/oauth2_provider/application/${id}/change/`)
      expect(page.status).toBe(200)
      return {
        page,
        box: textOf(/<div class="alert warn" id="registration">([\s\S]*?)<\/div>/.exec(page.html)?.[1] ?? ''),
      }
    }
    expect((await change(manual.id)).box).toBe('')
    expect((await change(dynamic.id)).box).toBe(
      `Dynamically registered Not verified It registered itself at /o/register/ (RFC 7591) on ${when(dynamic.created)}; ` +
        'its name and URIs are its own claims. It manages its registration with its registration access token (RFC 7592). ' +
        `Last used: ${when(dynamic.lastUsedAt!)} (noted at most once a day). Deleted by the cleanup after 30 days unused.`,
    )
    expect((await change(documentClient.id)).box).toBe(
      'Client ID Metadata Document Not verified Its client id is the URL of its metadata document, read from there again ' +
        'when the cached copy expires: the name and redirect URIs are the document’s claims, and changes made here do not last. ' +
        'Last used: 2026-11-02 09:30 UTC (noted at most once a day). Deleted by the cleanup after 30 days unused.',
    )
    // A row whose use was never noted (set behind the server's back) says so.
    await db().update(applications).set({ lastUsedAt: null }).where(eq(applications.id, dynamic.id)).run()
    expect((await change(dynamic.id)).box).toContain('Last used: never (noted at most once a day).')
  })
})
