/** @module Parsing and checking the space-delimited `scope` parameter (RFC 6749 §3.3). */
import { DEFAULT_SCOPES, SCOPES, type Scope } from '../config'
import { OAuthError } from '../errors'

const isScope = (s: string): s is Scope => Object.hasOwn(SCOPES, s)

/**
 * The scopes a request names, in its order without repeats; null when `scope` is absent or
 * empty, which RFC 6749 §3.1 says to treat alike. An unknown scope is `invalid_scope`.
 */
export function parseScope(raw: string | null | undefined): Scope[] | null {
  const names = (raw ?? '').split(' ').filter(Boolean)
  if (names.length === 0) return null
  if (!names.every(isScope)) throw new OAuthError('invalid_scope')
  return [...new Set(names)]
}

/** The requested scopes, or the server's defaults when none were requested. */
export const scopeOrDefault = (raw: string | null | undefined): Scope[] => parseScope(raw) ?? [...DEFAULT_SCOPES]

export const formatScope = (scopes: readonly string[]) => scopes.join(' ')

export const scopeSet = (scope: string) => new Set(scope.split(' ').filter(Boolean))

/** Whether every scope of `requested` is in `granted` (a space-delimited string). */
export function isSubset(requested: readonly string[], granted: string): boolean {
  const set = scopeSet(granted)
  return requested.every((s) => set.has(s))
}
