/**
 * Makes OpenID Connect signing keys in Node, for the `OIDC_PRIVATE_KEYS` secret (src/oidc/keys.ts):
 * used by `npm run oidc:keygen`, by `npm start` for a local development key, and by the test configs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'

/** A new RS256 private JWK (2048-bit RSA), with its RFC 7638 thumbprint as `kid`. */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  const jwk = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! })
  return { ...jwk, kid, alg: 'RS256', use: 'sig' }
}

/** The secret's value: the new key first, then the current key of `previous` (a rotation). */
export async function newKeySet(previous?: JWK[]): Promise<JWK[]> {
  return [await generateSigningJwk(), ...(previous ?? []).slice(0, 1)]
}

/**
 * Ensures a dotenv file (wrangler's `--env-file`) defines OIDC_PRIVATE_KEYS, adding a fresh key
 * if it does not. Returns whether a key was added.
 */
export async function ensureEnvFileKey(path: string): Promise<boolean> {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
  if (/^OIDC_PRIVATE_KEYS=/m.test(text)) return false
  const value = JSON.stringify(await newKeySet())
  writeFileSync(path, `${text}${text && !text.endsWith('\n') ? '\n' : ''}OIDC_PRIVATE_KEYS='${value}'\n`, {
    mode: 0o600,
  })
  return true
}
