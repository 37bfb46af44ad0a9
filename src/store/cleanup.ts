/**
 * @module Removing rows that can no longer matter from D1. Run hourly by the Cron Trigger
 * (src/maintenance/scheduled.ts, `[triggers] crons` in wrangler.toml) and on demand by the admin
 * CLI. KV needs nothing: every token record there carries its own expiration TTL.
 *
 * The statements are plain SQL over integers, so the CLI can hand the very same text to
 * `wrangler d1 execute`. Each deletes at most CLEANUP_BATCH rows, so one statement stays well
 * inside D1's per-query limits on a large backlog; runCleanup repeats each until it is done.
 */
import { systemClock } from '../clock'
import { WINDOW_SECONDS } from './rate-limits'

/**
 * How long a spent or expired code, or a revoked grant, is kept after it stops working: a replayed
 * code still revokes what it was exchanged for (RFC 6749 §4.1.2), and an operator can still see why
 * a grant ended.
 */
export const RETENTION_SECONDS = 24 * 60 * 60

/** Rows one statement deletes at most. */
export const CLEANUP_BATCH = 1000

export type CleanupStatement = { table: string; sql: string }

const batchDelete = (table: string, condition: string): CleanupStatement => ({
  table,
  sql: `delete from ${table} where rowid in (select rowid from ${table} where ${condition} limit ${CLEANUP_BATCH})`,
})

/** A grant kept RETENTION_SECONDS past its expiry or revocation (`retired`: now minus that). */
const grantGone = (retired: number) => `expires_at <= ${retired} or revoked_at <= ${retired}`

/**
 * Rotated-out refresh tokens kept per grant at most: with the default lifetimes (10 h access, 30
 * days refresh) a client refreshing only when its access token expires rotates ~72 times in its
 * refresh token's life, so this loses nothing for it, and a client refreshing in a loop cannot
 * grow D1 by more than an hour's worth between two cleanups.
 */
export const MAX_RETIRED_PER_GRANT = 100

/** Days a self-registered client (dynamic or metadata document) may go unused before it is deleted. */
export const DEFAULT_UNUSED_CLIENT_DAYS = 30

/**
 * The delete statements for `now` (Unix seconds), in an order that is safe to stop between.
 * `unusedClientDays`: the UNUSED_CLIENT_DAYS setting.
 */
export function cleanupStatements(
  now: number = systemClock.now(),
  unusedClientDays: number = DEFAULT_UNUSED_CLIENT_DAYS,
): CleanupStatement[] {
  if (!Number.isSafeInteger(now)) throw new TypeError('now must be an integer')
  if (!Number.isSafeInteger(unusedClientDays) || unusedClientDays < 1) {
    throw new TypeError('unusedClientDays must be a positive integer')
  }
  const retired = now - RETENTION_SECONDS
  return [
    // A client that registered itself and has not been used since (its grants and codes go with it,
    // ON DELETE CASCADE); one a person registered is never deleted by this.
    batchDelete(
      'applications',
      `registration != 'manual' and coalesce(last_used_at, created) <= ${now - unusedClientDays * 86_400}`,
    ),
    batchDelete('authorization_codes', `expires_at <= ${retired}`),
    // A rotated-out refresh token is remembered (to catch its replay) until it would have expired,
    // or until its grant goes (below). Those go first, in bounded statements: a grant revoked after
    // thousands of refreshes would otherwise take them all in the cascade of one statement.
    batchDelete(
      'retired_refresh_tokens',
      `expires_at <= ${now} or family_id in (select id from token_families where ${grantGone(retired)})`,
    ),
    // Beyond the newest MAX_RETIRED_PER_GRANT of a grant (rowids grow with each insert), a replay
    // is no longer recognised as one (it is invalid_grant, nothing more); only grants over the cap
    // are looked at, through the family_id index.
    batchDelete(
      'retired_refresh_tokens',
      `family_id in (select family_id from retired_refresh_tokens group by family_id having count(*) > ${MAX_RETIRED_PER_GRANT}) and rowid < (select newer.rowid from retired_refresh_tokens newer where newer.family_id = retired_refresh_tokens.family_id order by newer.rowid desc limit 1 offset ${MAX_RETIRED_PER_GRANT - 1})`,
    ),
    // A grant ends when its refresh token expires, or when it is revoked.
    batchDelete('token_families', grantGone(retired)),
    batchDelete('sessions', `expires_at <= ${now}`),
    batchDelete('rate_limits', `window_start <= ${now - WINDOW_SECONDS}`),
    batchDelete('client_assertions', `expires_at <= ${now}`),
    batchDelete('initial_access_tokens', `expires_at <= ${now}`),
  ]
}

/** Runs every statement until it deletes nothing more; the number of rows deleted per table. */
export async function runCleanup(
  d1: D1Database,
  now: number = systemClock.now(),
  unusedClientDays: number = DEFAULT_UNUSED_CLIENT_DAYS,
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {}
  for (const { table, sql } of cleanupStatements(now, unusedClientDays)) {
    deleted[table] ??= 0
    for (;;) {
      const { meta } = await d1.prepare(sql).run()
      deleted[table] += meta.changes
      if (meta.changes < CLEANUP_BATCH) break
    }
  }
  return deleted
}
