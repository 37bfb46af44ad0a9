// The password hash format: self-describing, salted, OWASP-strength parameters, tamper-evident.
import { describe, expect, it } from 'vitest'
import { hashPassword, UNUSABLE_PASSWORD, verifyPassword } from '../../src/crypto/password'

describe('password hashing', () => {
  it('stores scrypt N=2^14, r=8, p=5 with a fresh 16-byte salt per hash', async () => {
    const [a, b] = await Promise.all([hashPassword('hunter2'), hashPassword('hunter2')])
    expect(a).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(a).not.toBe(b)
  })

  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('pässwörd ✓')
    expect(await verifyPassword('pässwörd ✓', stored)).toBe(true)
    expect(await verifyPassword('pässwörd', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it.each([
    ['an unusable password', UNUSABLE_PASSWORD],
    ['no hash', null],
    [
      'a hash with absurd parameters',
      '$scrypt$ln=40,r=8,p=5$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    ['garbage', 'plaintext-password'],
  ])('refuses every password against %s', async (_, stored) => {
    expect(await verifyPassword('plaintext-password', stored)).toBe(false)
  })

  it('detects a tampered hash', async () => {
    const stored = await hashPassword('secret')
    const tampered = stored.slice(0, -2) + (stored.endsWith('AA') ? 'BB' : 'AA')
    expect(await verifyPassword('secret', tampered)).toBe(false)
  })
})
