// RFC 6749 §4.3.2: the password grant is protected against guessing, without revealing accounts.
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { createApplication, createUser, PASSWORD, unique } from '../helpers/seed'
import { LIMITS } from '../../src/auth/rate-limit'

async function attempt(app: { clientId: string; clientSecret: string | null }, username: string, password: string, ip: string) {
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
    expect(limited.body).toEqual({ error: 'invalid_grant', error_description: 'Too many failed attempts. Try again later.' })
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
    let last
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
