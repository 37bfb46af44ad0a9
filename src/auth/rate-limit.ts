/**
 * @module Brute-force limits on password checks (RFC 6749 §4.3.2, OWASP Authentication Cheat
 * Sheet). Attempts are counted in fixed 15-minute windows in D1, under three keys:
 * - username + client IP: 5. Stops one source guessing one account, and lets the owner, signing
 *   in from elsewhere, in all the same: an attacker cannot lock them out from their IP.
 * - client IP: 30 across all usernames. Stops one source spraying many accounts.
 * - username: 100 from anywhere. A ceiling for a distributed attack on one account.
 *
 * An attempt is reserved before its password is hashed, by one D1 batch (one transaction) that
 * increments and returns the counts, so N simultaneous guesses get at most the limit's worth of
 * hashes between them (a read before the hash and a write after let all N through). Each key only
 * counts an attempt the narrower keys before it let through: a burst refused per username + IP
 * never reaches the per-username count, and so never locks the owner out elsewhere. A wrong
 * password keeps its reservation: that is the failure counted. A correct one gives it back (see
 * `release`). A refused request is refused before the password is checked, whether or not the
 * user exists, so the answer reveals nothing about the account. Windows lapse by themselves.
 */
import type { Context } from 'hono'
import type { Clock } from '../clock'
import type { Db } from '../db/client'
import { sha256Hex } from '../crypto/token'
import type { BatchItem } from 'drizzle-orm/batch'
import { countAttemptWith, type RateLimitKey, releaseAttempt, WINDOW_SECONDS } from '../store/rate-limits'

export const LIMITS = { userIp: 5, ip: 30, user: 100 } as const

/** The client's address as Cloudflare reports it; "local" when served without Cloudflare in front. */
export const clientIp = (c: Context) => c.req.header('CF-Connecting-IP') ?? 'local'

/**
 * The three counters' keys for a username (lower-cased) and a client address, narrowest first:
 * each key counts only what the ones before it admitted. Both parts are the client's input, of any
 * length (a 2,048-character username NFKC-expands to ~36 KB), and an attempt is counted before
 * any hash is paid: keys are SHA-256 digests, so each row has a fixed size whatever was sent, and
 * D1 holds no usernames or addresses in clear.
 */
export function rateLimitKeys(username: string, ip: string): [RateLimitKey, RateLimitKey, RateLimitKey] {
  const user = username.toLowerCase()
  return [
    { key: `user-ip:${sha256Hex(`${user}\n${ip}`)}`, limit: LIMITS.userIp },
    { key: `ip:${sha256Hex(ip)}`, limit: LIMITS.ip },
    { key: `user:${sha256Hex(user)}`, limit: LIMITS.user },
  ]
}

/**
 * Reserves one attempt for `username` from the client address `address`, reading `read` in the
 * same D1 batch (the check's own query: no extra round trip). `retryAfter`: seconds until the
 * refusing key's window lapses, or 0 when the attempt is reserved. `release`, after a correct
 * password: the username + IP count is cleared (as a sign-in clears Django's failed-login
 * counters), and the IP and username counts give back this attempt, so they count failures only:
 * people signing in behind one NAT address never use up its 30, and the owner's own sign-ins never
 * bring their username nearer its ceiling.
 */
export async function reserveAttempt<R extends BatchItem<'sqlite'>>(
  db: Db,
  clock: Clock,
  username: string,
  address: string,
  read: R,
) {
  const keys = rateLimitKeys(username, address)
  const now = clock.now()
  const { counted, read: found } = await countAttemptWith(db, now, keys, read)
  // The first key that refused; none when the attempt is reserved. A key without a row was not
  // reached, which only follows a refusal before it: fail closed all the same.
  const refused = keys.findIndex((key, i) => !counted[i]![0] || counted[i]![0]!.count > key.limit)
  const row = counted[refused]?.[0]
  const retryAfter = refused < 0 ? 0 : row ? Math.max(1, row.windowStart + WINDOW_SECONDS - now) : WINDOW_SECONDS
  const [userIp, ip, user] = keys
  const release = () =>
    releaseAttempt(db, userIp, [
      [ip, counted[1][0]!],
      [user, counted[2][0]!],
    ])
  return { retryAfter, release, read: found }
}

/** A page's wording for a wait in seconds: "in 1 minute", "in 12 minutes". */
export function inMinutes(seconds: number): string {
  const minutes = Math.ceil(seconds / 60)
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`
}
