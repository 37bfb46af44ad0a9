/** @module Parsing and checking the space-delimited `scope` parameter (RFC 6749 §3.3). */
import { DEFAULT_SCOPES, GRANTABLE_SCOPES, type Scope, type ScopeRequest } from '../config'
import { OAuthError } from '../errors'

/**
 * The scopes a request names, in its order without repeats; null when `scope` is absent or
 * empty, which RFC 6749 §3.1 says to treat alike. A scope that is unknown, or that this kind of
 * request may not obtain (GRANTABLE_SCOPES; the authorization endpoint's rules by default), is
 * `invalid_scope`.
 */
export function parseScope(
  raw: string | null | undefined,
  request: ScopeRequest = 'authorization_code',
): Scope[] | null {
  const names = (raw ?? '').split(' ').filter(Boolean)
  if (names.length === 0) return null
  const grantable: readonly string[] = GRANTABLE_SCOPES[request]
  if (!names.every((name) => grantable.includes(name))) throw new OAuthError('invalid_scope')
  return [...new Set(names)] as Scope[]
}

/** The requested scopes, or the server's defaults when none were requested. */
export const scopeOrDefault = (raw: string | null | undefined, request: ScopeRequest = 'authorization_code'): Scope[] =>
  parseScope(raw, request) ?? [...DEFAULT_SCOPES]

export const formatScope = (scopes: readonly string[]) => scopes.join(' ')

export const scopeSet = (scope: string) => new Set(scope.split(' ').filter(Boolean))

/** Whether every scope of `requested` is in `granted` (a space-delimited string). */
export function isSubset(requested: readonly string[], granted: string): boolean {
  const set = scopeSet(granted)
  return requested.every((s) => set.has(s))
}
