/** @module The OpenID Connect id_token (Core §2, §3.1.3.6), signed RS256 with the current key. */
import { SignJWT } from 'jose'
import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { Settings } from '../config'
import type { Clock } from '../clock'
import { ID_TOKEN_ALG, type SigningKeys } from './keys'

/** §3.1.3.6: base64url of the left half of the SHA-256 of the access token's ASCII. */
export const accessTokenHash = (accessToken: string) =>
  encodeBase64urlNoPadding(sha256(new TextEncoder().encode(accessToken)).slice(0, 16))

export type IdTokenFacts = {
  userId: number
  clientId: string
  /** When the user signed in (§2 auth_time), from the session that approved the grant. */
  authTime: number | null
  /** Echoed when the authorization request had one (§3.1.2.1). */
  nonce: string | null
  accessToken: string
}

/**
 * What signing needs, passed in as the token service's dependencies are (no request): the keys
 * (`signingKeys`), the issuer identifier (`iss`), the time, and the id_token's lifetime.
 */
export type IdTokenSigner = {
  keys: SigningKeys
  issuer: string
  clock: Clock
  settings: Pick<Settings, 'idTokenExpireSeconds'>
}

/** Signs an id_token for the user, addressed to the client, with the current key. */
export async function signIdToken(
  { keys, issuer, clock, settings }: IdTokenSigner,
  facts: IdTokenFacts,
): Promise<string> {
  const iat = clock.now()
  const claims: Record<string, string | number> = { at_hash: accessTokenHash(facts.accessToken) }
  if (facts.authTime !== null) claims.auth_time = facts.authTime
  if (facts.nonce) claims.nonce = facts.nonce
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ID_TOKEN_ALG, kid: keys.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(String(facts.userId))
    .setAudience(facts.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + settings.idTokenExpireSeconds)
    .sign(keys.key)
}
