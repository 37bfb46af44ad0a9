/** @module PKCE (RFC 7636). Only S256 is supported: `plain` offers no protection once the challenge leaks. */
import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import { safeEqual } from '../crypto/compare'

export const CODE_CHALLENGE_METHODS = ['S256'] as const

/** §4.1: 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/
/** §4.2: an S256 challenge is base64url of a 32-byte digest: 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

export const s256Challenge = (verifier: string) => encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)))

/** Whether `verifier` is well formed and hashes to `challenge` (§4.6), compared in constant time. */
export function verifyS256(verifier: string, challenge: string): boolean {
  return VERIFIER.test(verifier) && safeEqual(s256Challenge(verifier), challenge)
}
