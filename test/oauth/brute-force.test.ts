// RFC 6749 §4.3.2: the password grant is protected against guessing, without revealing accounts.
import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { call, read } from '../helpers/http'
import { createApplication, createUser, PASSWORD, type TestApp, unique } from '../helpers/seed'
import { LIMITS, rateLimitKeys } from '../../src/auth/rate-limit'
import { WINDOW_SECONDS } from '../../src/store/rate-limits'

async function attempt(
  app: { clientId: string; clientSecret: string | null },
  username: string,
  password: string,
  ip: string,
) {
  return read(
    await call('/o/token/', {
      basic: [app.clientId, app.clientSecret!],
      form: { grant_type: 'password', username, password },
      headers: { 'CF-Connecting-IP': ip },
    }),
  )
}

describe('password grant brute-force limits', () => {
  it('after 5 failures from one address, that address gets 429 with Retry-After, even for the right password', async () => {
    const app = await createApplication()
    const user = await createUser()
    for (let i = 0; i < LIMITS.userIp; i++) {
      expect((await attempt(app, user.username, `guess${i}`, '203.0.113.1')).status).toBe(400)
    }
    const limited = await attempt(app, user.username, PASSWORD, '203.0.113.1')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Too many failed attempts. Try again later.',
    })
    expect(limited.headers.get('cache-control')).toBe('no-store')
    // The owner, elsewhere, is not locked out by the attacker's failures.
    expect((await attempt(app, user.username, PASSWORD, '198.51.100.7')).status).toBe(200)
  })

  it('answers an unknown username exactly as an existing one', async () => {
    const app = await createApplication()
    const ghost = unique('ghost')
    const user = await createUser()
    const answers = []
    for (const name of [ghost, user.username]) {
      for (let i = 0; i < LIMITS.userIp; i++) await attempt(app, name, 'wrong', '203.0.113.2')
      answers.push(await attempt(app, name, 'wrong', '203.0.113.2'))
    }
    expect(answers[0]!.status).toBe(429)
    expect(answers[0]!.body).toEqual(answers[1]!.body)
    expect(answers[0]!.status).toBe(answers[1]!.status)
  })

  it('limits one address spraying many usernames', async () => {
    const app = await createApplication()
    let last: Awaited<ReturnType<typeof attempt>> | undefined
    for (let i = 0; i <= LIMITS.ip; i++) last = await attempt(app, unique('spray'), 'wrong', '203.0.113.3')
    expect(last!.status).toBe(429)
    const user = await createUser()
    expect((await attempt(app, user.username, PASSWORD, '203.0.113.4')).status).toBe(200)
  }, 90_000) // 31 deliberate password hashes

  it('a correct password clears the failures of that username from that address', async () => {
    const app = await createApplication()
    const user = await createUser()
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < LIMITS.userIp - 1; i++) await attempt(app, user.username, 'wrong', '203.0.113.5')
      expect((await attempt(app, user.username, PASSWORD, '203.0.113.5')).status).toBe(200)
    }
  })
})

// Attackers send guesses at once, not one after another: every limit must hold for a burst.
describe('password grant brute-force limits under concurrency', () => {
  const INVALID = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid credentials given.' } }
  const LIMITED = {
    status: 429,
    body: { error: 'invalid_grant', error_description: 'Too many failed attempts. Try again later.' },
  }

  /** The answers of `n` simultaneous attempts, as { status, body }, and how many of each kind. */
  async function burst(app: TestApp, n: number, username: (i: number) => string, ip: string, password = 'wrong') {
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => attempt(app, username(i), password, ip)))
    for (const a of answers) {
      expect([INVALID, LIMITED]).toContainEqual({ status: a.status, body: a.body })
      if (a.status === 429) {
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(WINDOW_SECONDS - 60)
        expect(Number(a.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS)
      }
    }
    return {
      checked: answers.filter((a) => a.status === 400).length,
      limited: answers.filter((a) => a.status === 429).length,
    }
  }

  it.each([
    ['an existing user', async () => (await createUser()).username],
    ['an unknown username, alike', async () => unique('ghost')],
  ])('30 simultaneous wrong passwords for %s from one address: 5 are checked, 25 refused with 429', async (_, name) => {
    const app = await createApplication()
    const username = await name()
    expect(await burst(app, 30, () => username, '198.18.0.1')).toEqual({
      checked: LIMITS.userIp,
      limited: 30 - LIMITS.userIp,
    })
  })

  it('the owner, from another address, still signs in after a burst larger than the per-username limit from one address', async () => {
    // Only the 5 checked guesses count for the username: the refused ones never reach its 100.
    const app = await createApplication()
    const user = await createUser()
    const n = LIMITS.user + 10
    expect(await burst(app, n, () => user.username, '198.18.0.2')).toEqual({
      checked: LIMITS.userIp,
      limited: n - LIMITS.userIp,
    })
    expect((await attempt(app, user.username, PASSWORD, '198.18.0.2')).status).toBe(429)
    expect((await attempt(app, user.username, PASSWORD, '198.51.100.20')).status).toBe(200)
  }, 60_000)

  it('one address spraying many usernames at once: 30 are checked, then even a right password from there is refused', async () => {
    const app = await createApplication()
    const names = await Promise.all(Array.from({ length: 40 }, async () => (await createUser()).username))
    expect(await burst(app, 40, (i) => names[i]!, '198.18.0.3')).toEqual({
      checked: LIMITS.ip,
      limited: 40 - LIMITS.ip,
    })
    const user = await createUser()
    expect((await attempt(app, user.username, PASSWORD, '198.18.0.3')).status).toBe(429)
    expect((await attempt(app, user.username, PASSWORD, '198.18.0.4')).status).toBe(200)
  }, 60_000)

  it('successful sign-ins behind one address do not use up its budget: only failures count', async () => {
    const app = await createApplication()
    const ip = '198.18.0.5'
    const names = await Promise.all(Array.from({ length: LIMITS.ip - 1 }, async () => (await createUser()).username))
    expect(await burst(app, names.length, (i) => names[i]!, ip)).toEqual({ checked: LIMITS.ip - 1, limited: 0 })
    // One after another: while its password is checked, an attempt holds one of the 30.
    for (let i = 0; i < 5; i++)
      expect((await attempt(app, (await createUser()).username, PASSWORD, ip)).status).toBe(200)
    // The 30th failure is still checked; the 31st is refused.
    expect(await burst(app, 2, () => unique('late'), ip)).toEqual({ checked: 1, limited: 1 })
  }, 60_000)

  it('simultaneous right passwords for one user from one address: checks in progress hold the 5 places, and give them back', async () => {
    // Before the hash a right password cannot be told from a guess; after it, it gives its place back.
    const app = await createApplication()
    const user = await createUser()
    const ip = '198.18.0.7'
    const answers = await Promise.all(Array.from({ length: 8 }, () => attempt(app, user.username, PASSWORD, ip)))
    // At least the 5 reserved first succeed; more may, if one finished before the last arrived.
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(LIMITS.userIp)
    for (const a of answers.filter((a) => a.status !== 200)) expect({ status: a.status, body: a.body }).toEqual(LIMITED)
    // Every place was given back: the next right password succeeds, and 5 guesses are checked again.
    expect((await attempt(app, user.username, PASSWORD, ip)).status).toBe(200)
    expect(await burst(app, 6, () => user.username, ip)).toEqual({ checked: LIMITS.userIp, limited: 1 })
  })

  it('the window lapses: after 15 minutes the address may try again', async () => {
    const app = await createApplication()
    const user = await createUser()
    const ip = '198.18.0.6'
    await burst(app, 10, () => user.username, ip)
    expect((await attempt(app, user.username, PASSWORD, ip)).status).toBe(429)
    // Move every window this test opened back by 15 minutes, behind the server's back.
    await env.DB.prepare('update rate_limits set window_start = window_start - ? where key in (?, ?, ?)')
      .bind(WINDOW_SECONDS, ...rateLimitKeys(user.username, ip).map((k) => k.key))
      .run()
    expect(await burst(app, 8, () => user.username, ip)).toEqual({ checked: LIMITS.userIp, limited: 8 - LIMITS.userIp })
  })

  it('keeps its rows small whatever the client sends: usernames and addresses are stored as digests', async () => {
    const app = await createApplication()
    // 2,000 characters that NFKC expands to 36,000, and an address header of 1,000 characters.
    const username = '\ufdfa'.repeat(2000)
    const ip = `203.0.113.9${'x'.repeat(1000)}`
    expect((await attempt(app, username, 'wrong', ip)).status).toBe(400)
    const keys = rateLimitKeys(username.normalize('NFKC'), ip).map((k) => k.key)
    const rows = await env.DB.prepare('select key, failures from rate_limits where key in (?, ?, ?)')
      .bind(...keys)
      .all<{ key: string; failures: number }>()
    expect(rows.results.map((r) => [r.key.length, r.failures]).sort()).toEqual([
      [67, 1],
      [69, 1],
      [72, 1],
    ])
  })
})
