/** @module The OpenID Connect id_token (Core §2, §3.1.3.6), signed RS256 with the current key. */
import type { Context } from 'hono'
import { SignJWT } from 'jose'
import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { issuerUrl } from '../oauth/issuer'
import { systemClock } from '../clock'
import { ID_TOKEN_ALG, signingKeys } from './keys'

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

/** Signs an id_token for the user, addressed to the client, with the current key. */
export async function signIdToken(c: Context<AppEnv>, facts: IdTokenFacts): Promise<string> {
  const keys = await signingKeys(c)
  const iat = systemClock.now()
  const claims: Record<string, string | number> = { at_hash: accessTokenHash(facts.accessToken) }
  if (facts.authTime !== null) claims.auth_time = facts.authTime
  if (facts.nonce) claims.nonce = facts.nonce
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ID_TOKEN_ALG, kid: keys.kid, typ: 'JWT' })
    .setIssuer(issuerUrl(c))
    .setSubject(String(facts.userId))
    .setAudience(facts.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + readSettings(c.env).idTokenExpireSeconds)
    .sign(keys.key)
}
