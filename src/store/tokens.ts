/**
 * @module Access tokens in KV, keyed by the SHA-256 of the token, never the token. (Refresh tokens
 * live in D1 only: src/store/families.ts.)
 * Expiry is enforced twice: KV's TTL removes the record, and every read checks `exp`, because
 * KV's minimum TTL is 60 s and a record may be read from a cache until it lapses.
 * Layout: docs/storage.md.
 */
import type { Clock } from '../clock'
import { KV_MIN_TTL_SECONDS } from '../config'

/** What the bearer middleware learns from one KV read: enough for the API and introspection. */
export type AccessTokenInfo = {
  applicationId: number
  clientId: string
  /** Null for client_credentials tokens: they act for the client, not for a user. */
  userId: number | null
  username: string | null
  scope: string
  iat: number
  exp: number
  /** The grant (token_families row) this token belongs to; null for client_credentials. */
  familyId: string | null
  /** Its audience (RFC 8707): the resource URIs it is for; absent for the built-in API alone. */
  aud?: string[]
  /**
   * client_credentials only: the application's `secret_generation` when the token was issued. A
   * new client secret moves the application on, and the token is no longer honoured.
   */
  secretGeneration?: number
}

const accessKey = (hash: string) => `access:${hash}`

function ttl(exp: number, clock: Clock): number {
  return Math.max(exp - clock.now(), KV_MIN_TTL_SECONDS)
}

async function readRecord<T extends { exp: number }>(
  kv: KVNamespace,
  key: string,
  clock: Clock,
): Promise<T | 'expired' | null> {
  const record = await kv.get<T>(key, 'json')
  if (!record) return null
  return record.exp > clock.now() ? record : 'expired'
}

/** An access token's record by the token's digest: null if unknown, 'expired' past its `exp`. */
export const readAccessTokenByHash = (kv: KVNamespace, hash: string, clock: Clock) =>
  readRecord<AccessTokenInfo>(kv, accessKey(hash), clock)

/** Stores an access token's record under its digest, until its `exp`. */
export function putAccessToken(kv: KVNamespace, hash: string, info: AccessTokenInfo, clock: Clock): Promise<void> {
  return kv.put(accessKey(hash), JSON.stringify(info), { expirationTtl: ttl(info.exp, clock) })
}

export const deleteAccessToken = (kv: KVNamespace, hash: string) => kv.delete(accessKey(hash))
