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
import { and, eq, gt, sql } from 'drizzle-orm'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import type { Db } from '../db/client'
import { rateLimits } from '../db/schema'
import { sha256Hex } from '../crypto/token'
import { systemClock } from '../clock'

export const WINDOW_SECONDS = 15 * 60
export const LIMITS = { userIp: 5, ip: 30, user: 100 } as const

/** The client's address as Cloudflare reports it; "local" when served without Cloudflare in front. */
export const clientIp = (c: Context<AppEnv>) => c.req.header('CF-Connecting-IP') ?? 'local'

type Key = { key: string; limit: number }

/**
 * The three counters' keys for a username (lower-cased) and a client address, narrowest first:
 * each key counts only what the ones before it admitted. Both parts are the client's input, of any
 * length (a 2,048-character username NFKC-expands to ~36 KB), and an attempt is counted before
 * any hash is paid: keys are SHA-256 digests, so each row has a fixed size whatever was sent, and
 * D1 holds no usernames or addresses in clear.
 */
export function rateLimitKeys(username: string, ip: string): [Key, Key, Key] {
  const user = username.toLowerCase()
  return [
    { key: `user-ip:${sha256Hex(`${user}\n${ip}`)}`, limit: LIMITS.userIp },
    { key: `ip:${sha256Hex(ip)}`, limit: LIMITS.ip },
    { key: `user:${sha256Hex(user)}`, limit: LIMITS.user },
  ]
}

const keysFor = (c: Context<AppEnv>, username: string) => rateLimitKeys(username, clientIp(c))

const countOf = (key: Key) =>
  sql`(select ${rateLimits.failures} from ${rateLimits} where ${rateLimits.key} = ${key.key})`

/**
 * Counts one attempt under `key` if every key in `before` (already counted in this batch) is
 * within its limit; returns the row, or nothing when an earlier key refused. A count past the
 * limit stays at limit + 1 ("refused") instead of growing.
 */
function countAttempt(db: Db, now: number, key: Key, before: Key[]) {
  const expired = sql`${rateLimits.windowStart} <= ${now - WINDOW_SECONDS}`
  const admitted = before.length
    ? sql.join(
        before.map((k) => sql`${countOf(k)} <= ${k.limit}`),
        sql` and `,
      )
    : sql`1`
  return (
    db
      .insert(rateLimits)
      // INSERT … SELECT … WHERE: SQLite wants the WHERE before an upsert clause anyway.
      .select(sql`select ${key.key}, ${now}, 1 where ${admitted}`)
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          failures: sql`case when ${expired} then 1 else min(${rateLimits.failures} + 1, ${key.limit + 1}) end`,
          windowStart: sql`case when ${expired} then ${now} else ${rateLimits.windowStart} end`,
        },
      })
      .returning({ count: rateLimits.failures, windowStart: rateLimits.windowStart })
  )
}

type Counted = { count: number; windowStart: number }[]

/**
 * One attempt for `username` from this client. Run `statements` in one D1 batch (a transaction,
 * so concurrent attempts are counted one after another), with any read the check needs beside
 * them, then hand their results to `settle`.
 */
export function reserveAttempt(c: Context<AppEnv>, username: string) {
  const db = c.get('db')
  const keys = keysFor(c, username)
  const now = systemClock.now()
  const [userIp, ip, user] = keys
  return {
    statements: [
      countAttempt(db, now, userIp, []),
      countAttempt(db, now, ip, [userIp]),
      countAttempt(db, now, user, [userIp, ip]),
    ] as const,
    /**
     * `retryAfter`: seconds until the refusing key's window lapses, or 0 when the attempt is
     * reserved. `release`, after a correct password: the username + IP count is cleared (as a
     * sign-in clears Django's failed-login counters), and the IP and username counts give back this
     * attempt, so they count failures only: people signing in behind one NAT address never use up
     * its 30, and the owner's own sign-ins never bring their username nearer its ceiling.
     */
    settle(rows: readonly [Counted, Counted, Counted]) {
      // The first key that refused; none when the attempt is reserved. A key without a row was not
      // reached, which only follows a refusal before it: fail closed all the same.
      const refused = keys.findIndex((key, i) => !rows[i]![0] || rows[i]![0]!.count > key.limit)
      const row = rows[refused]?.[0]
      const retryAfter = refused < 0 ? 0 : row ? Math.max(1, row.windowStart + WINDOW_SECONDS - now) : WINDOW_SECONDS
      const release = async () => {
        const giveBack = (key: Key, row: Counted[number]) =>
          db
            .update(rateLimits)
            .set({ failures: sql`${rateLimits.failures} - 1` })
            // Only in the window it was counted in; a new window owes nothing.
            .where(
              and(eq(rateLimits.key, key.key), eq(rateLimits.windowStart, row.windowStart), gt(rateLimits.failures, 0)),
            )
        await db.batch([
          db.delete(rateLimits).where(eq(rateLimits.key, userIp.key)),
          giveBack(ip, rows[1][0]!),
          giveBack(user, rows[2][0]!),
        ])
      }
      return { retryAfter, release }
    },
  }
}

/** A page's wording for a wait in seconds: "in 1 minute", "in 12 minutes". */
export function inMinutes(seconds: number): string {
  const minutes = Math.ceil(seconds / 60)
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`
}
