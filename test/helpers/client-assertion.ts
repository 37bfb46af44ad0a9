/** Clients that authenticate with private_key_jwt (RFC 7523 §2.2), and the assertions they sign. */
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { randomToken } from '../../src/crypto/token'
import { JWT_BEARER_ASSERTION } from '../../src/auth/client-assertion'
import { ORIGIN } from './http'
import { createApplication, type TestApp } from './seed'
import type { applications } from '../../src/db/schema'

export { JWT_BEARER_ASSERTION }

export type Alg = 'ES256' | 'RS256' | 'EdDSA'
export type KeyPair = { alg: Alg; privateKey: CryptoKey; jwk: Record<string, unknown> }

/** A signing key and its public JWK (with `kid`), as a client would publish it. */
export async function clientKey(alg: Alg = 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid: randomToken(6), alg } }
}

/** A confidential private_key_jwt client with `key`'s public half registered inline (or as overridden). */
export async function jwtClient(
  key: KeyPair,
  overrides: Partial<typeof applications.$inferInsert> = {},
): Promise<TestApp> {
  const app = await createApplication({
    authorizationGrantType: 'client-credentials',
    clientSecretHash: null,
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: JSON.stringify({ keys: [key.jwk] }),
    ...overrides,
  })
  return { ...app, clientSecret: null }
}

/** A client assertion for `clientId`: iss = sub = client_id, aud the token endpoint, 60 s, a fresh jti. */
export function signAssertion(
  clientId: string,
  key: KeyPair,
  claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string | null } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = {
    iss: claims.iss ?? clientId,
    sub: claims.sub ?? clientId,
    aud: claims.aud ?? `${ORIGIN}/o/token/`,
    exp: claims.exp ?? now + 60,
    iat: now,
  }
  if (claims.jti !== null) payload.jti = claims.jti ?? randomToken(16)
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.jwk.kid as string }).sign(key.privateKey)
}

/** The form members of private_key_jwt authentication. */
export const assertionForm = (assertion: string) => ({
  client_assertion_type: JWT_BEARER_ASSERTION,
  client_assertion: assertion,
})
