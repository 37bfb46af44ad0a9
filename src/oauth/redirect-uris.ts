/**
 * @module Redirect URI rules. Registration (RFC 9700 §2.1, §4.1.3; RFC 8252 §7.3, §8.3): absolute,
 * no fragment, no userinfo, https unless the host is a loopback address. Matching at
 * /o/authorize/: exact string equality, except that a loopback redirect's port may vary.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

export const isLoopbackHost = (hostname: string) => LOOPBACK_HOSTS.has(hostname)

/** Why `uri` cannot be registered as a redirect URI, or null when it can. */
export function redirectUriProblem(uri: string): string | null {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return `${uri} is not an absolute URI.`
  }
  if (uri.includes('#')) return `${uri} has a fragment; redirect URIs must not.`
  if (url.username || url.password) return `${uri} has user information; redirect URIs must not.`
  const loopback = isLoopbackHost(url.hostname)
  if (url.protocol === 'http:' && !loopback)
    return `${uri} must use https (plain http is allowed for loopback hosts only).`
  if (['javascript:', 'data:', 'file:', 'vbscript:'].includes(url.protocol))
    return `${uri} uses a scheme that cannot be a redirect URI.`
  return null
}

/** Problems with a space-separated list of redirect URIs (empty when all can be registered). */
export function redirectUriProblems(list: string): string[] {
  return list
    .split(/\s+/)
    .filter(Boolean)
    .map(redirectUriProblem)
    .filter((p): p is string => p !== null)
}

// Scheme and loopback host, an optional port, then nothing or a path/query: the port is group 2.
const LOOPBACK_URI = /^(https?:\/\/(?:127\.0\.0\.1|\[::1\]|localhost))(:\d{1,5})?([/?][^#]*)?$/

const MAX_PORT = 65535

/** A loopback URI with its port taken out, or null for any other URI (or a port no URL can have). */
function withoutLoopbackPort(uri: string): string | null {
  const m = LOOPBACK_URI.exec(uri)
  // `http://127.0.0.1:99999/cb` would match the pattern but is no URL: redirecting to it would fail.
  if (!m || (m[2] && Number(m[2].slice(1)) > MAX_PORT)) return null
  return `${m[1]}${m[3] ?? ''}`
}

/**
 * Whether `requested` is one of the `registered` redirect URIs: exact string equality (RFC 6749
 * §3.1.2.3, RFC 9700 §2.1), except that a loopback redirect may name any port (RFC 8252 §7.3),
 * since a native app gets whatever port is free. Scheme, host, path and query still match exactly.
 */
export function matchesRegisteredUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true
  const loose = withoutLoopbackPort(requested)
  return loose !== null && registered.some((uri) => withoutLoopbackPort(uri) === loose)
}
