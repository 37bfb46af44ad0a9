/**
 * @module Password hashing.
 *
 * scrypt with N=2^14, r=8, p=5: one of the OWASP Password Storage Cheat Sheet's minimum
 * configurations (16 MiB of memory, well inside a Worker isolate's 128 MB). PBKDF2 cannot meet
 * OWASP's 600,000-iteration minimum on Cloudflare, whose WebCrypto refuses more than 100,000
 * iterations; workerd's node:crypto scrypt is native code, so the cost is affordable per login.
 *
 * Stored as a PHC string, so the parameters travel with each hash and can be raised later:
 * `$scrypt$ln=14,r=8,p=5$<salt, base64>$<hash, base64>`.
 */
import { scrypt } from 'node:crypto'
import { decodeBase64IgnorePadding, encodeBase64NoPadding } from '@oslojs/encoding'
import { safeEqual } from './compare'

const PARAMS = { ln: 14, r: 8, p: 5 } as const
const KEY_BYTES = 32
const SALT_BYTES = 16
// Bounds for parameters read back from storage: at most 64 MiB, so a bad row cannot exhaust the isolate.
const MAX_MEMORY_BYTES = 64 * 1024 * 1024

/** What `users.password` holds for an account that cannot sign in with a password (Django's "!"). */
export const UNUSABLE_PASSWORD = '!'

/** Long enough for any passphrase, short enough that hashing it is no denial of service. */
export const PASSWORD_MAX_LENGTH = 4096

/** scrypt cost parameters: N = 2^ln, block size r, parallelism p. */
export type ScryptParams = { ln: number; r: number; p: number }
type Params = ScryptParams

function derive(password: string, salt: Uint8Array, { ln, r, p }: Params): Promise<Uint8Array> {
  const N = 2 ** ln
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key)),
    )
  })
}

/**
 * Hashes a password with a fresh salt. `params` exists for test fixtures only; every production
 * caller uses the default, and verification reads the parameters back from the stored hash.
 */
export async function hashPassword(password: string, params: ScryptParams = PARAMS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const key = await derive(password, salt, params)
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${encodeBase64NoPadding(salt)}$${encodeBase64NoPadding(key)}`
}

function parse(stored: string): { params: Params; salt: Uint8Array; key: string } | null {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored)
  if (!m) return null
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16 || 128 * 2 ** ln * r > MAX_MEMORY_BYTES) return null
  try {
    return { params: { ln, r, p }, salt: decodeBase64IgnorePadding(m[4]!), key: m[5]! }
  } catch {
    return null
  }
}

// Verified against when there is no user or no usable hash, so that an unknown username costs
// the same time as a wrong password and the answer's timing does not reveal which it was.
const DUMMY_SALT = new Uint8Array(SALT_BYTES)

/** Whether `password` matches `stored`; always spends one hash's time, even with no stored hash. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parse(stored) : null
  const key = await derive(password, parsed?.salt ?? DUMMY_SALT, parsed?.params ?? PARAMS)
  return parsed !== null && safeEqual(encodeBase64NoPadding(key), parsed.key)
}
