/**
 * @module JWT access tokens (RFC 9068), for resources that verify tokens themselves. Signed RS256
 * with the current key of the OpenID Connect JWKS (src/oidc/keys.ts), so they rotate with it and
 * anyone verifies them against `/o/.well-known/jwks.json`. This server also keeps the token's
 * record in KV under the digest of its `jti`, exactly as an opaque token's: revocation deletes it,
 * so introspection and revocation work as for opaque tokens. A user's token also names its grant
 * (`grant_id`, an opaque id that opens nothing), so the built-in API can skip the record: D1 tells
 * whether the token is still its grant's current one, in the statement that checks the user
 * (`readJwtClaims`, src/auth/bearer.ts). A verifier that does not introspect cannot see a
 * revocation: for it the token is valid until `exp` (docs/resources.md), which is why a resource
 * may ask for a shorter lifetime.
 */
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import type { Clock } from '../clock'
import { sha256Hex } from '../crypto/token'
import { ID_TOKEN_ALG, type SigningKeys } from '../oidc/keys'
import { deleteAccessToken, putAccessToken, readAccessTokenByHash } from '../store/tokens'
import type { AccessTokenFormat } from './format'
import { newId } from './opaque'

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
export const AT_JWT_TYPE = 'at+jwt'

// The verifier for a key set, made once per key set (signingKeys keeps one per isolate): making
// it per request imported the RSA public key again on every bearer check.
const verifiers = new WeakMap<SigningKeys, ReturnType<typeof createLocalJWKSet>>()
function verifierFor(keys: SigningKeys) {
  let verifier = verifiers.get(keys)
  if (!verifier) {
    verifier = createLocalJWKSet({ keys: keys.jwks })
    verifiers.set(keys, verifier)
  }
  return verifier
}

/** Whether a presented token has a JWT's shape: opaque tokens are base64url, with no dot. */
export const looksLikeJwt = (token: string) => token.includes('.')

/**
 * The claim naming a user's grant (its token family's id), as Grant Management for OAuth 2.0 names
 * a grant. Not a secret: knowing it lets no one do anything (no endpoint takes it), and only the
 * signed token binds it to an access token digest.
 */
export const GRANT_CLAIM = 'grant_id'

/** What a verified JWT says of itself, without its record: enough for a bearer check that asks D1 the rest. */
export type JwtClaims = {
  /** The digest of its `jti`: what the grant's `access_hash` holds while it is the grant's current token. */
  hash: string
  clientId: string
  /** The user (`sub`); null for a client's own token (client_credentials), which names no grant. */
  userId: number | null
  /** The grant (`grant_id`); null for a client's own token. */
  grantId: string | null
  scope: string
  aud?: string[]
  iat: number
  exp: number
}

/**
 * Verifies a presented JWT access token against `keys()` (signature, `typ`, `alg`, `exp` by `clock`,
 * and `iss` when `issuer` is given) and returns its claims: null when it is not a valid token of
 * ours, 'expired' past its `exp`. Costs no storage: a user's token must still be checked against
 * its grant in D1 before anything is answered for it.
 */
export async function readJwtClaims(
  token: string,
  keys: () => Promise<SigningKeys>,
  clock: Clock,
  issuer?: string,
): Promise<JwtClaims | 'expired' | null> {
  let keySet: SigningKeys
  try {
    keySet = await keys()
  } catch {
    return null // No keys configured: no token is ours.
  }
  const cache = verifiedFor(keySet)
  const known = cache.get(token) ?? (await verifyJwt(token, keySet))
  if (known === null) return null
  if (!cache.has(token)) remember(cache, token, known)
  if (issuer !== undefined && known.iss !== issuer) return null
  // As jose's own check: expired from the second `exp` names (RFC 7519 §4.1.4).
  return known.claims.exp <= clock.now() ? 'expired' : known.claims
}

type Verified = { claims: JwtClaims; iss: unknown }

// Verified tokens, per key set (a new key set, after a rotation or a retired key, starts empty),
// keyed by the whole token: a client reads with one token many times, and the signature check was
// ~10% of a JWT read's CPU (docs/performance.md). What varies per request (`exp` against the clock,
// `iss` against the caller's issuer, and D1's say on the grant) is still checked on every read.
const verified = new WeakMap<SigningKeys, Map<string, Verified>>()
const MAX_VERIFIED = 1000

function verifiedFor(keys: SigningKeys): Map<string, Verified> {
  let cache = verified.get(keys)
  if (!cache) {
    cache = new Map()
    verified.set(keys, cache)
  }
  return cache
}

function remember(cache: Map<string, Verified>, token: string, known: Verified): void {
  // Oldest first out: a Map iterates in insertion order.
  if (cache.size >= MAX_VERIFIED) cache.delete(cache.keys().next().value!)
  cache.set(token, known)
}

/** The signature, `typ` and `alg` checked, the claims read; null for anything that is not a token of ours. */
async function verifyJwt(token: string, keys: SigningKeys): Promise<Verified | null> {
  let payload: Record<string, unknown>
  try {
    // Time is left to the caller (`currentDate` at the epoch: jose's `exp` check never fires), which
    // checks `exp` and `iss` on every read, cached or not.
    const verified = await jwtVerify(token, verifierFor(keys), {
      typ: AT_JWT_TYPE,
      algorithms: [ID_TOKEN_ALG],
      currentDate: new Date(0),
    })
    payload = verified.payload
  } catch {
    return null // A bad signature or a malformed token.
  }
  const { jti, sub, client_id, scope, iat, exp, aud, iss } = payload
  const grantId = payload[GRANT_CLAIM] ?? null
  if (typeof jti !== 'string' || typeof sub !== 'string' || typeof client_id !== 'string') return null
  if (typeof scope !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return null
  if (grantId !== null && (typeof grantId !== 'string' || !/^[0-9]{1,15}$/.test(sub))) return null
  const audience =
    typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.length > 0 ? (aud as string[]) : undefined
  const claims: JwtClaims = {
    hash: sha256Hex(jti),
    clientId: client_id,
    // RFC 9068 §2.2: a token that acts for no user has the client as `sub`, and no grant.
    userId: grantId === null ? null : Number(sub),
    grantId,
    scope,
    ...(audience && { aud: audience }),
    iat,
    exp,
  }
  return { claims, iss }
}

/**
 * JWT access tokens, their records in `kv`. `keys` gives the signing keys; `issuer` is the `iss`
 * of the tokens minted (undefined where nothing is minted: reading needs no issuer).
 */
export function jwtAccessTokens(
  kv: KVNamespace,
  clock: Clock,
  keys: () => Promise<SigningKeys>,
  issuer: string | undefined,
): AccessTokenFormat {
  return {
    newId,
    async mint(info, id = newId(), options = {}) {
      if (!issuer) throw new Error('JWT access tokens are minted with an issuer')
      const { kid, key } = await keys()
      // RFC 9068 §2.2: sub is the user, or the client itself when it acts for no one (§2.2, client_credentials).
      const claims = {
        client_id: info.clientId,
        scope: info.scope,
        ...(options.authTime != null && { auth_time: options.authTime }),
        // A user's token names its grant: the built-in API checks it is still current in D1 (src/auth/bearer.ts).
        ...(info.familyId !== null && { [GRANT_CLAIM]: info.familyId }),
      }
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: ID_TOKEN_ALG, kid, typ: AT_JWT_TYPE })
        .setIssuer(issuer)
        .setSubject(info.userId === null ? info.clientId : String(info.userId))
        .setAudience(info.aud ?? [])
        .setIssuedAt(info.iat)
        .setExpirationTime(info.exp)
        .setJti(id.secret)
        .sign(key)
      return { token, hash: id.hash, info }
    },
    store: (token) => putAccessToken(kv, token.hash, token.info, clock),
    async read(token) {
      const claims = await readJwtClaims(token, keys, clock)
      if (claims === null || claims === 'expired') return claims
      // The record, not the claims, is what this read trusts: it is gone once the token is revoked.
      const info = await readAccessTokenByHash(kv, claims.hash, clock)
      return info === null || info === 'expired' ? info : { hash: claims.hash, info }
    },
    revoke: (hash) => deleteAccessToken(kv, hash),
  }
}
