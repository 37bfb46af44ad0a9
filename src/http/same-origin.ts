/**
 * @module Redirects the server builds from request data stay on this origin (the class of
 * CVE-2018-14574, Django's APPEND_SLASH open redirect). Every such Location goes through here:
 * the trailing-slash redirect (src/index.ts) and sign-in's `next` (src/web/next-url.ts).
 */

/** A base no request can name, to resolve a location against and compare origins with. */
const BASE = 'https://same-origin.invalid'

/**
 * Whether a browser that resolves `location` against any page of this origin stays on it: it starts
 * with exactly one "/" (not `//host`, nor `/\host`, which browsers read as `//host` per the WHATWG
 * URL parser), has no "\" before its query, and no control character or space anywhere (browsers
 * drop tabs and newlines before resolving, so `/<TAB>/host` is `//host`).
 */
function isSameOriginPath(location: string): boolean {
  if (!location.startsWith('/') || location.startsWith('//')) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  if (/[\u0000-\u0020\u007f]/.test(location) || /^[^?#]*\\/.test(location)) return false
  try {
    return new URL(location, BASE).origin === BASE
  } catch {
    return false
  }
}

/**
 * `location` as the browser will request it: its path (dot segments and `%2e` resolved) and query,
 * or null when that is not a same-origin path (`/.//host` resolves to `//host`).
 */
export function normalizedSameOriginPath(location: string): string | null {
  if (!isSameOriginPath(location)) return null
  const url = new URL(location, BASE)
  const normalized = url.pathname + url.search
  return isSameOriginPath(normalized) ? normalized : null
}

/**
 * Path segments of routes this server has: RFC 3986 unreserved characters, never empty (`//`),
 * never `.` or `..`, never percent-encoded (`%2F`, `%5C` decode into separators somewhere).
 */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]+)+$/

/**
 * Django's APPEND_SLASH target for `url` (every route here ends in "/"): its path plus "/" and its
 * query, only when the path is plain segments (so the answer is provably a path on this origin);
 * null otherwise, and the request is answered as any unknown path.
 */
export function appendSlashLocation(url: URL): string | null {
  if (!PLAIN_PATH.test(url.pathname)) return null
  const location = `${url.pathname}/${url.search}`
  return isSameOriginPath(location) ? location : null
}
