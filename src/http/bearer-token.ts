/** @module Reading a bearer token off an Authorization header (RFC 6750 §2.1); no imports, so any Worker can use it. */

/** RFC 6750 §2.1 b64token, after `Bearer` and one or more spaces. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * The token in an Authorization header: null when there is none to read (no header, another
 * scheme, `Bearer` alone), 'malformed' when the value after `Bearer` is not a b64token
 * (e.g. two words). The scheme is matched case-insensitively (RFC 7235 §2.1).
 */
export function readBearerToken(header: string | undefined): string | null | 'malformed' {
  const m = /^bearer(?:$| +(.*)$)/i.exec(header ?? '')
  const value = m?.[1]?.trim()
  if (!value) return null
  return B64TOKEN.test(value) ? value : 'malformed'
}
