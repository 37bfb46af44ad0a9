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

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A new client_id: 40 letters and digits (~238 bits), as DOT's generator makes them. Not base64url:
 * an id that starts with "-" reads as an option to the admin CLI (`--client-id -x…` is refused by
 * its argument parser) and to other command lines it is pasted into.
 */
export function newClientId(length = 40): string {
  let id = ''
  while (id.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      // 248 = 4 × 62: bytes above it are dropped, so every character is equally likely.
      if (byte < 248 && id.length < length) id += ALPHANUMERIC[byte % 62]
    }
  }
  return id
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
