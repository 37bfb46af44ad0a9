/** Sign-in, sessions and sign-out through HTTP: cookies, CSRF, `?next=`, brute-force limits. */
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { sessions, users } from '../../src/db/schema'
import { sha256Hex } from '../../src/crypto/token'
import { alertOf, Browser, formFor, textOf } from '../helpers/browser'
import { createUser, db, PASSWORD } from '../helpers/seed'
import { callWith, faultyD1 } from '../helpers/faults'
import { fullwidth } from '../helpers/spellings'

const INVALID = 'Please enter a correct username and password. Note that both fields may be case-sensitive.'

describe('the sign-in page', () => {
  it('has labelled fields, a CSRF token, and the clickjacking/referrer headers', async () => {
    const page = await new Browser().get('/accounts/login/')
    expect(page.status).toBe(200)
    expect(page.html).toContain('<label for="id_username">Username</label>')
    expect(page.html).toContain('<label for="id_password">Password</label>')
    expect(Object.keys(formFor(page.html, '/accounts/login/').fields).sort()).toEqual([
      'csrfmiddlewaretoken',
      'next',
      'password',
      'username',
    ])
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    expect(page.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(page.headers.get('Set-Cookie')).toMatch(
      /^eot_login_csrf=[A-Za-z0-9_-]{43}; Path=\/accounts\/; HttpOnly; SameSite=Lax$/,
    )
  })

  it('signs in: a 302 to next, a session cookie (HttpOnly, SameSite=Lax), a session row stored by digest', async () => {
    const user = await createUser()
    const browser = new Browser()
    const answer = await browser.signIn(user.username, PASSWORD, '/o/applications/')
    expect(answer.status).toBe(302)
    expect(answer.location).toBe('/o/applications/')
    const cookie = answer.headers.getAll('Set-Cookie').find((c) => c.startsWith('eot_session='))!
    expect(cookie).toMatch(/^eot_session=[A-Za-z0-9_-]{43}; Max-Age=1209600; Path=\/; HttpOnly; SameSite=Lax$/)
    const id = browser.cookies.get('eot_session')!
    const row = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.idHash, sha256Hex(id)))
      .get()
    expect(row).toMatchObject({ userId: user.id })
    expect(row!.expiresAt - row!.created).toBe(1209600)
    expect((await db().select().from(users).where(eq(users.id, user.id)).get())!.lastLogin).not.toBeNull()
    expect((await browser.get('/o/applications/')).status).toBe(200)
  })

  it('takes the username NFKC-normalised: the fullwidth spelling of a name signs in as that user', async () => {
    const user = await createUser()
    const browser = new Browser()
    const answer = await browser.signIn(fullwidth(user.username), PASSWORD, '/o/applications/')
    expect(answer.status).toBe(302)
    expect(answer.location).toBe('/o/applications/')
    const row = await db()
      .select()
      .from(sessions)
      .where(eq(sessions.idHash, sha256Hex(browser.cookies.get('eot_session')!)))
      .get()
    expect(row).toMatchObject({ userId: user.id })
    expect(textOf((await browser.get('/')).html)).toContain(user.username)
  })

  it('marks the cookie Secure over https', async () => {
    const user = await createUser()
    const browser = new Browser()
    const page = await browser.get('https://auth.example/accounts/login/')
    const answer = await browser.post('https://auth.example/accounts/login/', {
      ...formFor(page.html, '/accounts/login/').fields,
      username: user.username,
      password: PASSWORD,
    })
    expect(answer.headers.getAll('Set-Cookie').find((c) => c.startsWith('eot_session='))).toContain('; Secure')
  })

  it('answers an unknown user exactly as a wrong password', async () => {
    const user = await createUser()
    const browser = new Browser({ 'CF-Connecting-IP': '198.51.100.7' })
    const page = await browser.get('/accounts/login/')
    const attempt = (username: string) =>
      browser.submit(page, '/accounts/login/', { username, password: 'wrong password' })
    const wrong = await attempt(user.username)
    const unknown = await attempt(`${user.username}x`)
    expect(wrong.status).toBe(200)
    expect(unknown.status).toBe(200)
    expect(textOf(wrong.html)).toContain(INVALID)
    expect(unknown.html.replaceAll(`${user.username}x`, 'NAME')).toBe(wrong.html.replaceAll(user.username, 'NAME'))
    expect(browser.cookies.has('eot_session')).toBe(false)
  })

  it('an inactive user cannot sign in, with the same answer', async () => {
    const user = await createUser({ isActive: false })
    const answer = await new Browser().signIn(user.username)
    expect(answer.status).toBe(200)
    expect(textOf(answer.html)).toContain(INVALID)
  })

  it.each([
    ['no token', { csrfmiddlewaretoken: null }, {}],
    ['a wrong token', { csrfmiddlewaretoken: 'y'.repeat(43) }, {}],
    ['a cross-site Origin', {}, { Origin: 'https://evil.example' }],
    ['Origin: null but no token', { csrfmiddlewaretoken: null }, { Origin: 'null' }],
  ] as Array<[string, Record<string, string | null>, Record<string, string>]>)(
    'refuses a sign-in POST with %s (login CSRF)',
    async (_name, changes, headers) => {
      const user = await createUser()
      const browser = new Browser(headers)
      const page = await browser.get('/accounts/login/')
      const answer = await browser.submit(page, '/accounts/login/', {
        username: user.username,
        password: PASSWORD,
        ...changes,
      })
      expect(answer.status).toBe(403)
      expect(browser.cookies.has('eot_session')).toBe(false)
    },
  )

  it('accepts Origin: null, which browsers send for forms on no-referrer pages, when the token is right', async () => {
    const user = await createUser()
    const browser = new Browser({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' })
    expect((await browser.signIn(user.username)).status).toBe(302)
  })

  it('refuses a sign-in POST from a browser that never loaded the form (no CSRF cookie)', async () => {
    const user = await createUser()
    const page = await new Browser().get('/accounts/login/')
    const fresh = new Browser()
    const answer = await fresh.post('/accounts/login/', {
      ...formFor(page.html, '/accounts/login/').fields,
      username: user.username,
      password: PASSWORD,
    })
    expect(answer.status).toBe(403)
  })
})

describe('?next= is followed only to paths on this site', () => {
  it.each([
    ['/o/applications/', '/o/applications/'],
    ['/o/authorize/?client_id=a&scope=read%20write', '/o/authorize/?client_id=a&scope=read%20write'],
    ['//evil.example/', '/'],
    ['/\\evil.example/', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/\t/evil.example/', '/'],
    ['evil.example', '/'],
    ['', '/'],
    // Paths that normalise into `//evil.example` (dot segments, `%2e`): checked after normalising.
    ['/.//evil.example', '/'],
    ['/a/..//evil.example/', '/'],
    ['/%2e%2e//evil.example', '/'],
    ['/%2E/%2e%2E//evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['\\evil.example', '/'],
    // What stays a path on this site, normalised: the browser asks this server for it.
    ['/./o/applications/', '/o/applications/'],
    ['/%2F%2Fevil.example/', '/%2F%2Fevil.example/'],
    ['/%5cevil.example', '/%5cevil.example'],
  ])('next=%j → %s', async (next, expected) => {
    const user = await createUser()
    const browser = new Browser()
    const page = await browser.get(`/accounts/login/?next=${encodeURIComponent(next)}`)
    expect(formFor(page.html, '/accounts/login/').fields.next).toBe(expected)
    const answer = await browser.submit(page, '/accounts/login/', { username: user.username, password: PASSWORD, next })
    expect(answer.status).toBe(302)
    expect(answer.location).toBe(expected)
  })
})

describe('brute-force limits (src/auth/rate-limit.ts)', () => {
  it('after 5 failures for one username from one address, even the right password is refused with 429 there, not elsewhere', async () => {
    const user = await createUser()
    const attacker = new Browser({ 'CF-Connecting-IP': '203.0.113.9' })
    for (let i = 0; i < 5; i++) expect((await attacker.signIn(user.username, `guess ${i}`)).status).toBe(200)
    const limited = await attacker.signIn(user.username, PASSWORD)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(textOf(limited.html)).toMatch(/Too many failed sign-in attempts\. Try again in \d+ minutes?\./)
    expect(attacker.cookies.has('eot_session')).toBe(false)
    // The owner, signing in from another address, is not locked out.
    const owner = new Browser({ 'CF-Connecting-IP': '192.0.2.44' })
    expect((await owner.signIn(user.username)).status).toBe(302)
  })

  it('the failures of every spelling of a name count toward that name’s limit', async () => {
    const user = await createUser()
    const attacker = new Browser({ 'CF-Connecting-IP': '203.0.113.78' })
    for (let i = 0; i < 5; i++) expect((await attacker.signIn(fullwidth(user.username), `guess ${i}`)).status).toBe(200)
    expect((await attacker.signIn(user.username, PASSWORD)).status).toBe(429)
  })

  it('an unknown username is limited the same way, so the limit reveals nothing', async () => {
    const browser = new Browser({ 'CF-Connecting-IP': '203.0.113.10' })
    for (let i = 0; i < 5; i++) await browser.signIn('nobody-here', 'x')
    expect((await browser.signIn('nobody-here', 'x')).status).toBe(429)
  })

  it('one address spraying many usernames is limited after 30 failures', async () => {
    const browser = new Browser({ 'CF-Connecting-IP': '203.0.113.11' })
    for (let i = 0; i < 30; i++) expect((await browser.signIn(`spray${i}`, 'x')).status).toBe(200)
    const user = await createUser()
    expect((await browser.signIn(user.username)).status).toBe(429)
  }, 60_000)
})

describe('brute-force limits under concurrency', () => {
  const LIMITED = /^Too many failed sign-in attempts\. Try again in 15 minutes\.$/

  /** `n` simultaneous sign-ins with one page's CSRF cookie and field; each answer's status and alert. */
  async function burst(browser: Browser, n: number, username: (i: number) => string, password = 'wrong password') {
    const page = await browser.get('/accounts/login/')
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        browser.submit(page, '/accounts/login/', { username: username(i), password }),
      ),
    )
    return answers.map((a) => ({ status: a.status, alert: alertOf(a.html) }))
  }
  const tally = (answers: { status: number; alert: string }[]) => ({
    checked: answers.filter((a) => a.status === 200 && a.alert === INVALID).length,
    limited: answers.filter((a) => a.status === 429 && LIMITED.test(a.alert)).length,
    other: answers.filter(
      (a) => !(a.status === 200 && a.alert === INVALID) && !(a.status === 429 && LIMITED.test(a.alert)),
    ),
  })

  it('15 simultaneous wrong sign-ins for one user from one address: 5 are checked, 10 refused; the owner elsewhere signs in', async () => {
    const user = await createUser()
    const attacker = new Browser({ 'CF-Connecting-IP': '198.18.1.1' })
    expect(tally(await burst(attacker, 15, () => user.username))).toEqual({ checked: 5, limited: 10, other: [] })
    expect((await attacker.signIn(user.username)).status).toBe(429)
    expect(attacker.cookies.has('eot_session')).toBe(false)
    expect((await new Browser({ 'CF-Connecting-IP': '192.0.2.45' }).signIn(user.username)).status).toBe(302)
  })

  it('an unknown username gets the same answers to a burst', async () => {
    const browser = new Browser({ 'CF-Connecting-IP': '198.18.1.2' })
    expect(tally(await burst(browser, 15, () => 'nobody-at-all'))).toEqual({ checked: 5, limited: 10, other: [] })
  })

  it('one address spraying usernames at once: 30 are checked across them all', async () => {
    const names = await Promise.all(Array.from({ length: 40 }, async () => (await createUser()).username))
    const browser = new Browser({ 'CF-Connecting-IP': '198.18.1.3' })
    expect(tally(await burst(browser, 40, (i) => names[i]!))).toEqual({ checked: 30, limited: 10, other: [] })
    expect((await browser.signIn(names[0]!)).status).toBe(429)
  }, 60_000)
})

describe('sessions end server-side', () => {
  it('sign-out deletes the session: the old cookie no longer works', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const stolen = browser.cookies.get('eot_session')!
    const home = await browser.get('/')
    const out = await browser.submit(home, '/accounts/logout/')
    expect(out.status).toBe(303)
    expect(out.location).toBe('/accounts/login/')
    expect(browser.cookies.has('eot_session')).toBe(false)
    const replay = new Browser()
    replay.cookies.set('eot_session', stolen)
    expect((await replay.get('/o/applications/')).status).toBe(302)
  })

  it('sign-out needs the CSRF token', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    expect((await browser.post('/accounts/logout/', {})).status).toBe(403)
    expect((await browser.get('/o/applications/')).status).toBe(200)
  })

  it('"sign out everywhere" ends the sessions on other devices too', async () => {
    const user = await createUser()
    const laptop = new Browser()
    const phone = new Browser()
    await laptop.signIn(user.username)
    await phone.signIn(user.username)
    const home = await laptop.get('/')
    const everywhere = formFor(home.html, '/accounts/logout/')
    expect(everywhere.fields.everywhere).toBeUndefined() // the header's form is plain sign-out...
    const answer = await laptop.post('/accounts/logout/', { ...everywhere.fields, everywhere: '1' })
    expect(answer.status).toBe(303)
    expect((await phone.get('/o/applications/')).status).toBe(302)
    expect(await db().select().from(sessions).where(eq(sessions.userId, user.id)).all()).toEqual([])
  })

  it('an expired session is no session', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    await db()
      .update(sessions)
      .set({ expiresAt: Math.floor(Date.now() / 1000) - 1 })
      .where(eq(sessions.userId, user.id))
      .run()
    const page = await browser.get('/o/applications/')
    expect(page.status).toBe(302)
    expect(page.location).toBe(`/accounts/login/?next=${encodeURIComponent('/o/applications/')}`)
  })

  it('a deactivated user is signed out at once', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    await db().update(users).set({ isActive: false }).where(eq(users.id, user.id)).run()
    expect((await browser.get('/o/applications/')).status).toBe(302)
  })

  it('signing in again replaces the session (no fixation)', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const first = browser.cookies.get('eot_session')!
    await browser.signIn(user.username)
    expect(browser.cookies.get('eot_session')).not.toBe(first)
    expect(
      await db()
        .select()
        .from(sessions)
        .where(eq(sessions.idHash, sha256Hex(first)))
        .get(),
    ).toBeUndefined()
  })
})

describe('storage faults', () => {
  it('a D1 outage during sign-in or on a page answers 503 with Retry-After, never 500', async () => {
    const user = await createUser()
    const browser = new Browser()
    const page = await browser.get('/accounts/login/')
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const body = new URLSearchParams({
      ...formFor(page.html, '/accounts/login/').fields,
      username: user.username,
      password: PASSWORD,
    })
    const headers = { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }
    const signIn = await callWith({ DB: faultyD1(/rate_limits/) }, '/accounts/login/', {
      method: 'POST',
      headers,
      body: body.toString(),
    })
    expect(signIn.status).toBe(503)
    expect(signIn.headers.get('Retry-After')).toBe('1')
    await browser.signIn(user.username)
    const session = `eot_session=${browser.cookies.get('eot_session')}`
    const list = await callWith({ DB: faultyD1(/sessions/) }, '/o/applications/', { headers: { Cookie: session } })
    expect(list.status).toBe(503)
  })
})
