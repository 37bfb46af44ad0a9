/** Changing one's password at /accounts/password_change/: validation, rate limit, sessions ended. */
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { sessions, users } from '../../src/db/schema'
import { alertOf, Browser, formFor, textOf } from '../helpers/browser'
import { createUser, db, PASSWORD } from '../helpers/seed'
import { callWith, faultyD1 } from '../helpers/faults'

const PATH = '/accounts/password_change/'
const NEW_PASSWORD = 'a new and longer passphrase'

async function signedIn(username: string, ip = '192.0.2.10') {
  const browser = new Browser({ 'CF-Connecting-IP': ip })
  expect((await browser.signIn(username)).status).toBe(302)
  return browser
}

/** Whether `password` signs `username` in, from a fresh browser. */
const signsIn = async (username: string, password: string) =>
  (await new Browser({ 'CF-Connecting-IP': '192.0.2.99' }).signIn(username, password)).status === 302

async function change(browser: Browser, fields: Record<string, string | null>) {
  return browser.submit(await browser.get(PATH), PATH, fields)
}

const sessionCount = async (userId: number) =>
  (await db().select().from(sessions).where(eq(sessions.userId, userId)).all()).length

describe('the password change page', () => {
  it('sends an anonymous visitor to sign in and back', async () => {
    const page = await new Browser().get(PATH)
    expect(page.status).toBe(302)
    expect(page.location).toBe(`/accounts/login/?next=${encodeURIComponent(PATH)}`)
  })

  it('has labelled fields with Django’s names, a CSRF token and the page security headers', async () => {
    const user = await createUser()
    const page = await (await signedIn(user.username)).get(PATH)
    expect(page.status).toBe(200)
    expect(Object.keys(formFor(page.html, PATH).fields).sort()).toEqual([
      'csrfmiddlewaretoken',
      'new_password1',
      'new_password2',
      'old_password',
      'username',
    ])
    for (const [id, label] of [
      ['old_password', 'Current password'],
      ['new_password1', 'New password'],
      ['new_password2', 'New password again'],
    ]) {
      expect(page.html).toMatch(new RegExp(`<label for="id_${id}">${label}`))
    }
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    expect(page.headers.get('Referrer-Policy')).toBe('no-referrer')
  })

  it('changes the password, keeps this browser signed in and signs every other one out', async () => {
    const user = await createUser()
    const here = await signedIn(user.username)
    const elsewhere = await signedIn(user.username, '192.0.2.11')
    expect(await sessionCount(user.id)).toBe(2)

    const answer = await change(here, {
      old_password: PASSWORD,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
    })
    expect(answer.status).toBe(303)
    expect(answer.location).toBe('/accounts/password_change/done/')
    const done = await here.get(answer.location!)
    expect(done.status).toBe(200)
    expect(textOf(done.html)).toContain('Your password was changed.')

    expect((await here.get('/o/applications/')).status).toBe(200)
    expect((await elsewhere.get('/o/applications/')).status).toBe(302)
    expect(await sessionCount(user.id)).toBe(1)
    expect(await signsIn(user.username, PASSWORD)).toBe(false)
    expect(await signsIn(user.username, NEW_PASSWORD)).toBe(true)
    const row = await db().select().from(users).where(eq(users.id, user.id)).get()
    expect(row!.password).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$/) // the production cost, whatever the fixture had
    expect(row!.password).not.toContain(NEW_PASSWORD)
  })

  it.each([
    [
      'a wrong current password',
      { old_password: 'not it' },
      'old_password',
      'Your old password was entered incorrectly. Please enter it again.',
    ],
    ['no current password', { old_password: '' }, 'old_password', 'This field is required.'],
    [
      'two different new passwords',
      { new_password2: `${NEW_PASSWORD}!` },
      'new_password2',
      'The two password fields didn’t match.',
    ],
    [
      'a short one',
      { new_password1: 'short1', new_password2: 'short1' },
      'new_password1',
      'This password is too short. It must contain at least 8 characters.',
    ],
    [
      'only digits',
      { new_password1: '1234567890', new_password2: '1234567890' },
      'new_password1',
      'This password is entirely numeric.',
    ],
    [
      'an over-long one',
      { new_password1: 'x'.repeat(4097), new_password2: 'x'.repeat(4097) },
      'new_password1',
      'Ensure this field has no more than 4096 characters.',
    ],
  ])('refuses %s: 400, the message beside its field, nothing changed', async (_, fields, field, message) => {
    const user = await createUser()
    const browser = await signedIn(user.username)
    const other = await signedIn(user.username, '192.0.2.12')
    const answer = await change(browser, {
      old_password: PASSWORD,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
      ...fields,
    })
    expect(answer.status).toBe(400)
    expect(answer.html).toContain(`<p class="field-error" id="id_${field}-error">${message}</p>`)
    expect(answer.html).toMatch(new RegExp(`id="id_${field}"[^>]*aria-invalid="true"`))
    expect(await signsIn(user.username, PASSWORD)).toBe(true)
    expect((await other.get('/o/applications/')).status).toBe(200)
  })

  it('refuses the username as the new password', async () => {
    const user = await createUser()
    const browser = await signedIn(user.username)
    const answer = await change(browser, {
      old_password: PASSWORD,
      new_password1: user.username.toUpperCase(),
      new_password2: user.username.toUpperCase(),
    })
    expect(answer.status).toBe(400)
    expect(textOf(answer.html)).toContain('The password is too similar to the username.')
  })

  it('refuses a POST without the CSRF token', async () => {
    const user = await createUser()
    const browser = await signedIn(user.username)
    const answer = await change(browser, {
      csrfmiddlewaretoken: null,
      old_password: PASSWORD,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
    })
    expect(answer.status).toBe(403)
    expect(await signsIn(user.username, PASSWORD)).toBe(true)
  })

  it('limits wrong current passwords like sign-ins: after 5, even the right one gets 429 with Retry-After', async () => {
    const user = await createUser()
    const browser = await signedIn(user.username, '192.0.2.13')
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await change(browser, {
            old_password: `guess ${i}`,
            new_password1: NEW_PASSWORD,
            new_password2: NEW_PASSWORD,
          })
        ).status,
      ).toBe(400)
    }
    const limited = await change(browser, {
      old_password: PASSWORD,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
    })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(await signsIn(user.username, PASSWORD)).toBe(true)
  })

  it('15 simultaneous wrong current passwords: 5 are checked, 10 refused with 429; the password stays', async () => {
    const user = await createUser()
    const browser = await signedIn(user.username, '198.18.2.1')
    const page = await browser.get(PATH)
    const fields = { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD }
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) => browser.submit(page, PATH, { ...fields, old_password: `guess ${i}` })),
    )
    const seen = answers.map((a) => `${a.status} ${alertOf(a.html)}`)
    const wrong = '400 Please correct the errors below.'
    const limited = '429 Too many wrong passwords. Try again in 15 minutes.'
    expect(seen.filter((s) => s !== wrong && s !== limited)).toEqual([])
    expect(seen.filter((s) => s === wrong)).toHaveLength(5)
    for (const a of answers.filter((a) => a.status === 400)) {
      expect(textOf(a.html)).toContain('Your old password was entered incorrectly. Please enter it again.')
    }
    for (const a of answers.filter((a) => a.status === 429))
      expect(Number(a.headers.get('Retry-After'))).toBeGreaterThan(840)
    expect((await change(browser, { ...fields, old_password: PASSWORD })).status).toBe(429)
    expect(await signsIn(user.username, PASSWORD)).toBe(true)
    expect((await browser.get('/o/applications/')).status).toBe(200)
  })

  it('a D1 failure while ending the sessions leaves the old password and every session in place (503)', async () => {
    const user = await createUser()
    const browser = await signedIn(user.username)
    const other = await signedIn(user.username, '192.0.2.14')
    const page = await browser.get(PATH)
    const body = new URLSearchParams({
      ...formFor(page.html, PATH).fields,
      old_password: PASSWORD,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
    })
    const headers = {
      Cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'Content-Type': 'application/x-www-form-urlencoded',
    }
    const answer = await callWith({ DB: faultyD1(/^delete from "sessions" where "sessions"."user_id"/) }, PATH, {
      method: 'POST',
      headers,
      body: body.toString(),
    })
    expect(answer.status).toBe(503)
    expect(await signsIn(user.username, PASSWORD)).toBe(true)
    expect((await other.get('/o/applications/')).status).toBe(200)
    expect((await browser.get('/o/applications/')).status).toBe(200)
  })
})
