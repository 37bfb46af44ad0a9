/**
 * @module The OpenID Connect signing keys, from the `OIDC_PRIVATE_KEYS` secret: a JSON array of
 * private RSA JWKs (or a JWK Set, `{"keys": [...]}`), the current key first and previous ones
 * after. The current key signs id_tokens; the JWKS publishes the public half of every key, so
 * id_tokens signed before a rotation still verify. `npm run oidc:keygen` makes the value (README).
 * No key is ever generated here: a Worker without the secret refuses to sign, loudly.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import { ConfigurationError } from '../errors'

/** The one algorithm id_tokens are signed with (OpenID Connect Core §15.1: RS256 MUST be supported). */
export const ID_TOKEN_ALG = 'RS256'

/** A public key as the JWKS publishes it. */
export type PublicJwk = { kty: 'RSA'; kid: string; use: 'sig'; alg: typeof ID_TOKEN_ALG; n: string; e: string }

export type SigningKeys = { kid: string; key: CryptoKey; jwks: PublicJwk[] }

/**
 * The secret is absent or unusable. Its reason names what is wrong, never key material; the
 * surface's error handler logs it as `oidc_keys_unavailable` and answers 500.
 */
class OidcKeysUnavailable extends ConfigurationError {
  constructor(reason: string) {
    super('oidc_keys_unavailable', reason)
    this.name = 'OidcKeysUnavailable'
  }
}

/** The secret's value. It is not declared in wrangler.toml (a secret never is), hence the cast. */
const readSecret = (env: Env) => (env as { OIDC_PRIVATE_KEYS?: string }).OIDC_PRIVATE_KEYS?.trim() ?? ''

function parsePrivateJwks(raw: string): JWK[] {
  if (!raw) throw new OidcKeysUnavailable('OIDC_PRIVATE_KEYS is not set')
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new OidcKeysUnavailable('OIDC_PRIVATE_KEYS is not JSON')
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list) || list.length === 0) throw new OidcKeysUnavailable('OIDC_PRIVATE_KEYS holds no keys')
  for (const jwk of list as JWK[]) {
    if (jwk?.kty !== 'RSA' || !jwk.n || !jwk.e || !jwk.d) {
      throw new OidcKeysUnavailable('OIDC_PRIVATE_KEYS holds a key that is not a private RSA JWK')
    }
  }
  return list as JWK[]
}

async function load(raw: string): Promise<SigningKeys> {
  const privateJwks = parsePrivateJwks(raw)
  // A kid is what lets a client pick the right key after a rotation; the RFC 7638 thumbprint when none is given.
  const jwks: PublicJwk[] = await Promise.all(
    privateJwks.map(async (jwk) => ({
      kty: 'RSA' as const,
      kid: jwk.kid ?? (await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! })),
      use: 'sig' as const,
      alg: ID_TOKEN_ALG,
      n: jwk.n!,
      e: jwk.e!,
    })),
  )
  let key: CryptoKey
  try {
    key = (await importJWK({ ...privateJwks[0]!, alg: ID_TOKEN_ALG }, ID_TOKEN_ALG)) as CryptoKey
  } catch {
    throw new OidcKeysUnavailable('OIDC_PRIVATE_KEYS: the current key cannot be imported for RS256')
  }
  return { kid: jwks[0]!.kid, key, jwks }
}

// Importing a key costs a few milliseconds: do it once per isolate and secret value.
let cached: { raw: string; keys: Promise<SigningKeys> } | undefined

/**
 * The signing keys from the Worker's bindings (the `OIDC_PRIVATE_KEYS` secret), or
 * OidcKeysUnavailable. No request needed: the token endpoint signs id_tokens with them, the token
 * service JWT access tokens (RFC 9068), and discovery publishes their JWKS.
 */
export async function signingKeys(env: Env): Promise<SigningKeys> {
  const raw = readSecret(env)
  if (cached?.raw !== raw) cached = { raw, keys: load(raw) }
  try {
    return await cached.keys
  } catch (err) {
    cached = undefined
    throw err
  }
}
