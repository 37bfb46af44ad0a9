/** @module Parsing and checking the space-delimited `scope` parameter (RFC 6749 §3.3). */
import { OAuthError } from '../errors'

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), printable ASCII but `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Whether `name` is a well-formed scope-token (§3.3): what a resource may name its own scopes. */
export const isScopeToken = (name: string): boolean => SCOPE_TOKEN.test(name)

/**
 * The scopes a request names, in its order without repeats; null when `scope` is absent or empty,
 * which RFC 6749 §3.1 says to treat alike. A name that is not a scope-token is `invalid_scope`;
 * whether a name is known is for the caller to decide (the resources' rules, src/oauth/resources.ts).
 */
export function scopeNames(raw: string | null | undefined): string[] | null {
  const names = (raw ?? '').split(' ').filter(Boolean)
  if (names.length === 0) return null
  if (!names.every(isScopeToken)) throw new OAuthError('invalid_scope')
  return [...new Set(names)]
}

export const formatScope = (scopes: readonly string[]) => scopes.join(' ')

export const scopeSet = (scope: string) => new Set(scope.split(' ').filter(Boolean))

/** Whether every scope of `requested` is in `granted` (a space-delimited string). */
export function isSubset(requested: readonly string[], granted: string): boolean {
  const set = scopeSet(granted)
  return requested.every((s) => set.has(s))
}
