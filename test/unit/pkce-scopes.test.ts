import { describe, expect, it } from 'vitest'
import { s256Challenge, verifyS256 } from '../../src/oauth/pkce'
import { isSubset, scopeNames } from '../../src/oauth/scopes'
import { OAuthError } from '../../src/errors'
import { resourceScopesProblem } from '../../src/oauth/resources'

describe('PKCE S256', () => {
  it('matches RFC 7636 Appendix B', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    expect(s256Challenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(verifyS256(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true)
  })

  it.each(['short', 'a'.repeat(129), `${'a'.repeat(43)}!`])('refuses a malformed verifier %j', (v) => {
    expect(verifyS256(v, s256Challenge(v))).toBe(false)
  })
})

describe('scope parameter', () => {
  it('treats an absent or empty scope as omitted', () => {
    expect(scopeNames(null)).toBeNull()
    expect(scopeNames('')).toBeNull()
  })
  it('keeps request order without repeats', () => expect(scopeNames('groups read groups')).toEqual(['groups', 'read']))
  it("keeps a resource's own names (RFC 6749 §3.3 scope-tokens)", () =>
    expect(scopeNames('mcp:tools files:read')).toEqual(['mcp:tools', 'files:read']))
  it.each(['read "x"', 'a\\b', 'caf\u00e9'])('refuses %j, not a scope-token', (raw) =>
    expect(() => scopeNames(raw)).toThrow(OAuthError),
  )
  it('checks subsets', () => {
    expect(isSubset(['read'], 'read write')).toBe(true)
    expect(isSubset(['groups'], 'read write')).toBe(false)
  })
})

describe('a resource’s scopes (createresource --scopes)', () => {
  it('takes its own names and the built-in API’s', () => {
    expect(resourceScopesProblem(['mcp:tools', 'files:read', 'read'])).toBeNull()
  })
  it.each([
    [['mcp:"tools"'], 'not scope tokens (RFC 6749 §3.3): mcp:"tools"'],
    [
      ['mcp:tools', 'openid', 'introspection'],
      'openid, introspection: scopes of this server itself, which no resource grants',
    ],
  ])('refuses %j', (names, problem) => expect(resourceScopesProblem(names)).toBe(problem))
})
