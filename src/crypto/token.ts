/** @module Random tokens and the digests they are stored under. */
import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding'

const encoder = new TextEncoder()

/**
 * A random token of `bytes` bytes (default 32: 256 bits, well under RFC 6749 §10.10's 2^-160
 * guessing probability), base64url without padding (43 characters for 32 bytes).
 */
export function randomToken(bytes = 32): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** SHA-256 of a string, lower-case hex. Tokens and secrets are stored under this, never as is. */
export function sha256Hex(value: string): string {
  return encodeHexLowerCase(sha256(encoder.encode(value)))
}
