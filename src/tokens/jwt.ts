/**
 * @module JWT access tokens (RFC 9068), for resources that verify tokens themselves. Signed RS256
 * with the current key of the OpenID Connect JWKS (src/oidc/keys.ts), so they rotate with it and
 * anyone verifies them against `/o/.well-known/jwks.json`. This server also keeps the token's
 * record in KV under the digest of its `jti`, exactly as an opaque token's: revocation deletes it,
 * so the bearer check, introspection and revocation work as for opaque tokens, at the same
 * storage cost. A verifier that does not introspect cannot see a revocation: for it the token is
 * valid until `exp` (docs/resources.md), which is why a resource may ask for a shorter lifetime.
 */
import { createLocalJWKSet, errors, jwtVerify, SignJWT } from 'jose'
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
      let jti: unknown
      try {
        const { payload } = await jwtVerify(token, verifierFor(await keys()), {
          typ: AT_JWT_TYPE,
          algorithms: [ID_TOKEN_ALG],
          currentDate: new Date(clock.now() * 1000),
        })
        jti = payload.jti
      } catch (err) {
        if (err instanceof errors.JWTExpired) return 'expired'
        // A bad signature, a malformed token, or no keys configured: no token of ours.
        return null
      }
      if (typeof jti !== 'string') return null
      // The record, not the claims, is what this server trusts: it is gone once the token is revoked.
      const hash = sha256Hex(jti)
      const info = await readAccessTokenByHash(kv, hash, clock)
      return info === null || info === 'expired' ? info : { hash, info }
    },
    revoke: (hash) => deleteAccessToken(kv, hash),
  }
}
