/** @module Random tokens and the digests they are stored under. */
import { createHash } from 'node:crypto'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'

/**
 * A random token of `bytes` bytes (default 32: 256 bits, well under RFC 6749 §10.10's 2^-160
 * guessing probability), base64url without padding (43 characters for 32 bytes).
 */
export function randomToken(bytes = 32): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(bytes)))
}

/**
 * SHA-256 of a string (UTF-8), lower-case hex. Tokens and secrets are stored under this, never as
 * is. node:crypto's native hash (the `nodejs_compat` flag): the pure-JS one was ~3% of a refresh's
 * CPU, which hashes four times (npm run bench:profile).
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

/** A new random token and the digest it is stored under. */
export function newSecret(): { token: string; hash: string } {
  const token = randomToken()
  return { token, hash: sha256Hex(token) }
}
