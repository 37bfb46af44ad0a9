/**
 * Arbitraries for hostile HTTP requests, and the invariant every answer must keep: no 5xx, the
 * endpoint's own error format, and nothing stored by a request that was refused.
 */
import fc from 'fast-check'
import { env } from 'cloudflare:workers'
import { expect } from 'vitest'

/** Values that make a request reach deeper than a random string would: real credentials. */
export type Known = {
  accessToken: string
  refreshToken: string
  clientId: string
  clientSecret: string
  username: string
  userId: number
}

const unicode = fc.string({ unit: 'binary', maxLength: 40 })
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  unicode,
  fc.constant('\u0000'),
  fc.constant(''),
  fc.constant('a'.repeat(5000)),
)

export const methods = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST'), weight: 4 },
  { arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), weight: 1 },
)

// Header values are bytes; fetch refuses most non-ASCII, so vary them within ASCII.
const headerText = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(''), fc.constant('a'.repeat(5000)))

export function authorization(known: Known) {
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${known.accessToken}`),
    fc.constant(`bearer ${known.refreshToken}`),
    headerText.map((t) => `Bearer ${t}`),
    fc.constant(`Basic ${btoa(`${known.clientId}:${known.clientSecret}`)}`),
    headerText.map((t) => `Basic ${t}`),
    fc.tuple(text, text).map(([a, b]) => `Basic ${btoa(unescape(encodeURIComponent(`${a}:${b}`)))}`),
    headerText,
  )
}

export const contentTypes = fc.constantFrom(
  undefined,
  'application/x-www-form-urlencoded',
  'application/json',
  'multipart/form-data; boundary=xyz',
  'text/plain',
  'application/x-www-form-urlencoded; charset=latin1',
)

/** Form fields an OAuth or API endpoint might read, plus noise, sometimes repeated. */
export function formBody(known: Known) {
  const key = fc.constantFrom(
    'grant_type',
    'username',
    'password',
    'scope',
    'refresh_token',
    'code',
    'redirect_uri',
    'code_verifier',
    'client_id',
    'client_secret',
    'token',
    'token_type_hint',
    'email',
    'first_name',
    'last_name',
    'x',
    'response_type',
    'state',
    'code_challenge',
    'code_challenge_method',
    'allow',
    'csrfmiddlewaretoken',
    'next',
    'name',
    'client_type',
    'authorization_grant_type',
    'redirect_uris',
    'nonce',
    'resource',
  )
  const value = fc.oneof(
    text,
    fc.constantFrom(
      'password',
      'refresh_token',
      'client_credentials',
      'authorization_code',
      'read',
      'read write groups',
      // RFC 8707 resources: the built-in API, unknown, relative, with a fragment.
      'http://127.0.0.1:8787/',
      'https://unknown.example/api',
      '/relative',
      'http://127.0.0.1:8787/#f',
    ),
    fc.constantFrom(known.refreshToken, known.clientId, known.clientSecret, known.username, known.accessToken),
  )
  return fc.array(fc.tuple(key, value), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString())
}

/** RFC 7591 client metadata with members of any JSON value: what the registration endpoint reads. */
const clientMetadata = fc
  .dictionary(
    fc.constantFrom(
      'redirect_uris',
      'grant_types',
      'response_types',
      'token_endpoint_auth_method',
      'client_name',
      'client_uri',
      'logo_uri',
      'scope',
      'contacts',
      'jwks',
      'jwks_uri',
      'client_id',
    ),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        ['http://127.0.0.1:8009/cb'],
        ['https://app.example/cb#x', 'javascript:alert(1)'],
        ['authorization_code'],
        ['client_credentials'],
        'none',
        'private_key_jwt',
        { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
      ),
    ),
  )
  .map((o) => JSON.stringify(o))

const deepJson = fc.nat({ max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth))

export function body(known: Known) {
  return fc.oneof(
    fc.constant(undefined),
    formBody(known),
    fc.json({ maxDepth: 4 }),
    fc
      .dictionary(fc.constantFrom('username', 'email', 'first_name', 'password', 'x'), fc.jsonValue({ maxDepth: 2 }))
      .map((o) => JSON.stringify(o)),
    clientMetadata,
    deepJson,
    formBody(known).map((s) => s.slice(0, Math.floor(s.length / 2))), // truncated
    text,
    fc.constant('x'.repeat(1024 * 1024)), // 1 MB
  )
}

/** What a refusal may not change: rows of every table but the brute-force counters, and KV keys. */
export async function storageSnapshot() {
  const tables = [
    'users',
    'groups',
    'user_groups',
    'applications',
    'token_families',
    'authorization_codes',
    'sessions',
    'resources',
  ]
  const counts: Record<string, number> = {}
  for (const t of tables) counts[t] = (await env.DB.prepare(`select count(*) as n from ${t}`).first<{ n: number }>())!.n
  counts.kv = (await env.TOKENS.list()).keys.length
  return counts
}

const OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'access_denied',
  'unsupported_response_type',
  'invalid_token',
  'insufficient_scope',
  'invalid_target',
  // RFC 7591 §3.2.2, and the registration endpoint's per-address limit (429).
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'temporarily_unavailable',
])

/** The protocol surface's paths (src/protocol/surface.ts): RFC 6749 §5.2 errors. Other JSON errors are DRF's. */
const PROTOCOL_PATH =
  /^\/(?:o\/(?:token|revoke_token|introspect|userinfo|register)\/$|o\/register\/|o\/\.well-known\/|\.well-known\/)/

/** The answer's format is the one its endpoint documents; which error format was checked, if any. */
export async function expectDocumentedFormat(path: string, res: Response): Promise<'oauth' | 'api' | undefined> {
  expect(res.status).toBeLessThan(500)
  const type = res.headers.get('content-type') ?? ''
  const text = await res.text()
  if (!type.startsWith('application/json') || res.status < 400 || text === '') return undefined
  const data = JSON.parse(text)
  if (PROTOCOL_PATH.test(path)) {
    expect(OAUTH_ERRORS.has(data.error)).toBe(true)
    if (data.error_description !== undefined) expect(data.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/)
    return 'oauth'
  }
  expect(typeof data).toBe('object')
  const fieldErrors = Object.values(data).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string'))
  expect(typeof data.detail === 'string' || fieldErrors).toBe(true)
  return 'api'
}
