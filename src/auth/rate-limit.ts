/**
 * @module Brute-force limits on password checks (RFC 6749 §4.3.2, OWASP Authentication Cheat
 * Sheet). Failures are counted in fixed 15-minute windows in D1, under three keys:
 * - username + client IP: 5 failures. Stops one source guessing one account, and lets the owner,
 *   signing in from elsewhere, in all the same: an attacker cannot lock them out from their IP.
 * - client IP: 30 failures across all usernames. Stops one source spraying many accounts.
 * - username: 100 failures from anywhere. A ceiling for a distributed attack on one account.
 * A limited request is refused before the password is checked, whether or not the user exists,
 * so the answer reveals nothing about the account. Windows lapse by themselves.
 */
import { sql } from 'drizzle-orm'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { rateLimits } from '../db/schema'
import { nowSeconds } from '../oauth/store/tokens'

export const WINDOW_SECONDS = 15 * 60
export const LIMITS = { userIp: 5, ip: 30, user: 100 } as const

/** The client's address as Cloudflare reports it; "local" when served without Cloudflare in front. */
export const clientIp = (c: Context<AppEnv>) => c.req.header('CF-Connecting-IP') ?? 'local'

function keysFor(c: Context<AppEnv>, username: string) {
  const ip = clientIp(c)
  const user = username.toLowerCase()
  return [
    { key: `user-ip:${user}|${ip}`, limit: LIMITS.userIp },
    { key: `ip:${ip}`, limit: LIMITS.ip },
    { key: `user:${user}`, limit: LIMITS.user },
  ]
}

/** Seconds until the caller may try again, or 0 when no limit is reached. */
export async function retryAfter(c: Context<AppEnv>, username: string): Promise<number> {
  const keys = keysFor(c, username)
  const now = nowSeconds()
  const rows = await c.get('db')
    .select()
    .from(rateLimits)
    .where(sql`${rateLimits.key} in (${sql.join(keys.map((k) => sql`${k.key}`), sql`, `)})`)
    .all()
  let wait = 0
  for (const row of rows) {
    const limit = keys.find((k) => k.key === row.key)!.limit
    const resetsIn = row.windowStart + WINDOW_SECONDS - now
    if (resetsIn > 0 && row.failures >= limit) wait = Math.max(wait, resetsIn)
  }
  return wait
}

/** A page's wording for `retryAfter`'s seconds: "in 1 minute", "in 12 minutes". */
export function inMinutes(seconds: number): string {
  const minutes = Math.ceil(seconds / 60)
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`
}

/** Counts one failed password check against every key. */
export async function recordFailure(c: Context<AppEnv>, username: string): Promise<void> {
  const now = nowSeconds()
  const expired = sql`${rateLimits.windowStart} <= ${now - WINDOW_SECONDS}`
  await c.get('db').batch(
    keysFor(c, username).map(({ key }) =>
      c.get('db')
        .insert(rateLimits)
        .values({ key, windowStart: now, failures: 1 })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            failures: sql`case when ${expired} then 1 else ${rateLimits.failures} + 1 end`,
            windowStart: sql`case when ${expired} then ${now} else ${rateLimits.windowStart} end`,
          },
        }),
    ) as [never],
  )
}

/** A correct password clears the failures of that username from that address. */
export async function clearFailures(c: Context<AppEnv>, username: string): Promise<void> {
  const [userIp] = keysFor(c, username)
  await c.get('db').delete(rateLimits).where(sql`${rateLimits.key} = ${userIp!.key}`).run()
}
