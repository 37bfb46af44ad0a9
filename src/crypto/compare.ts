/** @module Constant-time comparison of secrets. */
import { constantTimeEqual } from '@oslojs/crypto/subtle'

const encoder = new TextEncoder()

/**
 * Whether two strings are equal, in time that depends only on their lengths. Callers compare
 * digests of equal length, so not even the length of a secret leaks.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  return x.length === y.length && constantTimeEqual(x, y)
}
