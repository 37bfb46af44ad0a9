/**
 * @module private_key_jwt client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9):
 * the client signs a short JWT with a key it registered (`jwks`, or fetched from `jwks_uri`); the
 * server checks signature, `iss` = `sub` = client_id, `aud`, `exp` and that `jti` was never seen.
 * Every failure is the same 401 invalid_client, so the answer does not say which check failed.
 */
import type { Context } from 'hono'
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose'
import type { AppEnv } from '../env'
import { systemClock } from '../clock'
import { sha256Hex } from '../crypto/token'
import type { Application } from '../store/applications'
import { cacheDocument, readCachedDocument } from '../store/client-documents'
import { recordAssertion } from '../store/client-registration'
import { issuerUrl } from '../oauth/issuer'
import { allowsLoopbackDocuments, documentFetcher } from '../oauth/clients'
import { DocumentError, fetchJsonDocument } from '../oauth/document-fetch'

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** The signing algorithms accepted (and advertised as token_endpoint_auth_signing_alg_values_supported). */
export const ASSERTION_ALGS = ['RS256', 'ES256', 'EdDSA']

/** The longest an assertion may live: RFC 7523 §3 item 4 lets the server bound it; a few minutes. */
export const MAX_ASSERTION_LIFETIME = 300
const CLOCK_SKEW = 30
const MAX_JWKS_BYTES = 16 * 1024

/** Thrown for any assertion that does not authenticate the client; client-auth.ts answers invalid_client. */
export class AssertionRefused extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'AssertionRefused'
  }
}

/** The client_id an assertion claims (its `sub`, which must equal `iss`), read before anything is verified. */
export function assertionClientId(assertion: string): string | null {
  try {
    const { iss, sub } = decodeJwt(assertion)
    return typeof sub === 'string' && sub === iss ? sub : null
  } catch {
    return null
  }
}

/** The client's JWK Set: registered inline, or fetched from jwks_uri (guarded, cached in KV by Cache-Control). */
async function clientKeys(c: Context<AppEnv>, app: Application): Promise<JSONWebKeySet> {
  if (app.jwks) return JSON.parse(app.jwks) as JSONWebKeySet
  if (!app.jwksUri) throw new AssertionRefused('no keys registered')
  const kv = c.env.TOKENS
  const cached = await readCachedDocument(kv, 'jwks', app.jwksUri)
  if (cached) return cached as unknown as JSONWebKeySet
  try {
    const { json, maxAge } = await fetchJsonDocument(app.jwksUri, {
      fetcher: documentFetcher(c.env),
      allowLoopback: allowsLoopbackDocuments(c),
      maxBytes: MAX_JWKS_BYTES,
    })
    if (!Array.isArray(json.keys)) throw new AssertionRefused('jwks_uri is not a JWK Set')
    await cacheDocument(kv, 'jwks', app.jwksUri, json, maxAge)
    return json as unknown as JSONWebKeySet
  } catch (err) {
    if (err instanceof DocumentError) throw new AssertionRefused('jwks_uri could not be fetched')
    throw err
  }
}

/**
 * Verifies `assertion` for `app` (which registered private_key_jwt). `aud` may be the token
 * endpoint's URL, the issuer, or the URL of the endpoint called (RFC 7523 §3 item 3; OpenID
 * Connect Core §9 names the token endpoint, and many libraries send the issuer). Resolves when
 * the client is authenticated, else throws AssertionRefused.
 */
export async function verifyClientAssertion(c: Context<AppEnv>, app: Application, assertion: string): Promise<void> {
  const issuer = issuerUrl(c)
  const here = `${issuer}${new URL(c.req.url).pathname}`
  const keys = createLocalJWKSet(await clientKeys(c, app))
  let payload: { exp?: number; jti?: string }
  try {
    ;({ payload } = await jwtVerify(assertion, keys, {
      issuer: app.clientId,
      subject: app.clientId,
      audience: [`${issuer}/o/token/`, issuer, here],
      algorithms: ASSERTION_ALGS,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW,
      currentDate: new Date(systemClock.now() * 1000),
    }))
  } catch {
    throw new AssertionRefused('not verified')
  }
  const now = systemClock.now()
  const exp = payload.exp!
  if (exp > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW) throw new AssertionRefused('lives too long')
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
    throw new AssertionRefused('bad jti')
  }
  // §3 item 7: a jti is used once; it is kept until the assertion expires, after which it is refused anyway.
  const fresh = await recordAssertion(c.get('db'), sha256Hex(`${app.clientId}\n${payload.jti}`), exp + CLOCK_SKEW)
  if (!fresh) throw new AssertionRefused('replayed')
}
