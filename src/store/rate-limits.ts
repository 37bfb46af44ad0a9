/**
 * @module Brute-force counters in D1 (`rate_limits`): one row per key, the failures counted in a
 * fixed window. What the keys and limits are is src/auth/rate-limit.ts's; this is how they are
 * counted: atomically, in a batch, so concurrent attempts are counted one after another.
 */
import { and, eq, gt, sql } from 'drizzle-orm'
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch'
import type { Db } from '../db/client'
import { rateLimits } from '../db/schema'

/** The length of a counting window; a window lapses by itself (and the cleanup removes its row). */
export const WINDOW_SECONDS = 15 * 60

/** A counter: its key (a digest) and the attempts it admits per window. */
export type RateLimitKey = { key: string; limit: number }

/** What counting returns: the key's row after the attempt, or no row when an earlier key refused. */
export type Counted = { count: number; windowStart: number }[]

const countOf = (key: RateLimitKey) =>
  sql`(select ${rateLimits.failures} from ${rateLimits} where ${rateLimits.key} = ${key.key})`

/**
 * Counts one attempt under `key` at `now` if every key in `before` (already counted in this batch)
 * is within its limit, as a batch item returning the row (none when an earlier key refused). A
 * count past the limit stays at limit + 1 ("refused") instead of growing.
 */
function countAttempt(db: Db, now: number, key: RateLimitKey, before: RateLimitKey[]) {
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

/**
 * Counts one attempt at `now` under three keys, narrowest first, each only if the keys before it
 * admitted it, in one D1 batch (one transaction: concurrent attempts are counted one after
 * another) with `read` beside them, so the check pays no round trip of its own. Returns the keys'
 * rows and what `read` returned.
 */
export async function countAttemptWith<R extends BatchItem<'sqlite'>>(
  db: Db,
  now: number,
  [first, second, third]: readonly [RateLimitKey, RateLimitKey, RateLimitKey],
  read: R,
): Promise<{ counted: [Counted, Counted, Counted]; read: BatchResponse<[R]>[0] }> {
  const [a, b, c, found] = await db.batch([
    countAttempt(db, now, first, []),
    countAttempt(db, now, second, [first]),
    countAttempt(db, now, third, [first, second]),
    read,
  ])
  return { counted: [a, b, c], read: found as BatchResponse<[R]>[0] }
}

/**
 * Gives an attempt back, in one D1 batch: `cleared`'s row goes, and each of `givenBack` loses one
 * count, only in the window it was counted in (a new window owes nothing).
 */
export async function releaseAttempt(
  db: Db,
  cleared: RateLimitKey,
  givenBack: readonly [RateLimitKey, Counted[number]][],
): Promise<void> {
  const giveBack = ([key, row]: [RateLimitKey, Counted[number]]) =>
    db
      .update(rateLimits)
      .set({ failures: sql`${rateLimits.failures} - 1` })
      .where(and(eq(rateLimits.key, key.key), eq(rateLimits.windowStart, row.windowStart), gt(rateLimits.failures, 0)))
  await db.batch([db.delete(rateLimits).where(eq(rateLimits.key, cleared.key)), ...givenBack.map(giveBack)])
}
