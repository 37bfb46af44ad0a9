// The Cron Trigger's cleanup (src/maintenance/cleanup.ts): expired rows go, live ones stay.
import { createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src'
import {
  CLEANUP_BATCH,
  MAX_RETIRED_PER_GRANT,
  RETENTION_SECONDS,
  cleanupStatements,
  runCleanup,
} from '../../src/store/cleanup'
import { WINDOW_SECONDS } from '../../src/store/rate-limits'
import { logged } from '../helpers/secrets'
import { createApplication, createUser, PASSWORD, unique } from '../helpers/seed'
import { call } from '../helpers/http'

const now = Math.floor(Date.now() / 1000)
const count = async (table: string, where: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table} where ${where}`).first<{ n: number }>())!.n

/** One row per table that must go, and one beside it that must stay; marked by a unique tag. */
async function seed(tag: string) {
  const app = await createApplication()
  const user = await createUser()
  const code = (id: string, expiresAt: number) =>
    env.DB.prepare(
      'insert into authorization_codes (code_hash, application_id, user_id, scope, auth_time, expires_at) values (?, ?, ?, ?, ?, ?)',
    ).bind(`${tag}-${id}`, app.id, user.id, 'read', now, expiresAt)
  const family = (id: string, expiresAt: number, revokedAt: number | null) =>
    env.DB.prepare(
      'insert into token_families (id, application_id, user_id, scope, expires_at, revoked_at) values (?, ?, ?, ?, ?, ?)',
    ).bind(`${tag}-${id}`, app.id, user.id, 'read', expiresAt, revokedAt)
  const retired = (id: string, familyId: string, expiresAt: number) =>
    env.DB.prepare('insert into retired_refresh_tokens (hash, family_id, expires_at) values (?, ?, ?)').bind(
      `${tag}-${id}`,
      `${tag}-${familyId}`,
      expiresAt,
    )
  const session = (id: string, expiresAt: number) =>
    env.DB.prepare('insert into sessions (id_hash, user_id, csrf_secret, expires_at) values (?, ?, ?, ?)').bind(
      `${tag}-${id}`,
      user.id,
      's',
      expiresAt,
    )
  const limit = (id: string, windowStart: number) =>
    env.DB.prepare('insert into rate_limits (key, window_start, failures) values (?, ?, 1)').bind(
      `${tag}-${id}`,
      windowStart,
    )
  await env.DB.batch([
    code('old', now - RETENTION_SECONDS - 1),
    code('recent', now - 10), // expired, but kept a while so that a replay still revokes its grant
    family('expired', now - RETENTION_SECONDS - 1, null),
    family('revoked-long-ago', now + 1000, now - RETENTION_SECONDS - 1),
    family('revoked-just-now', now + 1000, now - 10),
    family('live', now + 1000, null),
    retired('lapsed', 'live', now - 1),
    retired('current', 'live', now + 1000),
    session('expired', now - 1),
    session('live', now + 1000),
    limit('lapsed', now - WINDOW_SECONDS - 1),
    limit('current', now - 10),
  ])
}

const remaining = async (tag: string) => ({
  authorization_codes: (
    await env.DB.prepare('select code_hash as id from authorization_codes where code_hash like ?')
      .bind(`${tag}-%`)
      .all()
  ).results
    .map((r) => r.id)
    .sort(),
  token_families: (await env.DB.prepare('select id from token_families where id like ?').bind(`${tag}-%`).all()).results
    .map((r) => r.id)
    .sort(),
  retired_refresh_tokens: (
    await env.DB.prepare('select hash as id from retired_refresh_tokens where hash like ?').bind(`${tag}-%`).all()
  ).results
    .map((r) => r.id)
    .sort(),
  sessions: (
    await env.DB.prepare('select id_hash as id from sessions where id_hash like ?').bind(`${tag}-%`).all()
  ).results
    .map((r) => r.id)
    .sort(),
  rate_limits: (
    await env.DB.prepare('select key as id from rate_limits where key like ?').bind(`${tag}-%`).all()
  ).results
    .map((r) => r.id)
    .sort(),
})

describe('cleanup', () => {
  it('the scheduled handler deletes what can no longer matter and logs the counts', async () => {
    const tag = unique('t')
    await seed(tag)
    const controller = createScheduledController({ scheduledTime: now * 1000, cron: '17 * * * *' })
    await worker.scheduled(controller, env)
    expect(await remaining(tag)).toEqual({
      authorization_codes: [`${tag}-recent`],
      token_families: [`${tag}-live`, `${tag}-revoked-just-now`],
      retired_refresh_tokens: [`${tag}-current`],
      sessions: [`${tag}-live`],
      rate_limits: [`${tag}-current`],
    })
    const line = JSON.parse(logged.find((l) => l.includes('"event":"cleanup"'))!)
    expect(line).toMatchObject({
      level: 'info',
      cron: '17 * * * *',
      authorization_codes: 1,
      token_families: 2,
      retired_refresh_tokens: 1,
      sessions: 1,
      rate_limits: 1,
    })
  })

  it('a grant deleted by cleanup takes its rotated-out refresh tokens with it (ON DELETE CASCADE)', async () => {
    const tag = unique('cascade')
    const app = await createApplication()
    await env.DB.batch([
      env.DB.prepare('insert into token_families (id, application_id, scope, expires_at) values (?, ?, ?, ?)').bind(
        `${tag}-grant`,
        app.id,
        'read',
        now - RETENTION_SECONDS - 1,
      ),
      env.DB.prepare('insert into retired_refresh_tokens (hash, family_id, expires_at) values (?, ?, ?)').bind(
        `${tag}-token`,
        `${tag}-grant`,
        now + 1000,
      ),
    ])
    await runCleanup(env.DB, now)
    expect(await count('retired_refresh_tokens', `hash like '${tag}-%'`)).toBe(0)
  })

  it('a revoked grant’s many rotated-out refresh tokens go in bounded statements before it, not in its cascade', async () => {
    const tag = unique('many')
    const app = await createApplication()
    await env.DB.prepare(
      'insert into token_families (id, application_id, scope, expires_at, revoked_at) values (?, ?, ?, ?, ?)',
    )
      .bind(`${tag}-grant`, app.id, 'read', now + 1000, now - RETENTION_SECONDS - 1)
      .run()
    await env.DB.batch(
      Array.from({ length: CLEANUP_BATCH + 7 }, (_, i) =>
        env.DB.prepare('insert into retired_refresh_tokens (hash, family_id, expires_at) values (?, ?, ?)').bind(
          `${tag}-${i}`,
          `${tag}-grant`,
          now + 1000,
        ),
      ),
    )
    const deleted = await runCleanup(env.DB, now)
    // Each counted by a statement of its own (at most CLEANUP_BATCH rows), none left to the cascade.
    expect(deleted.retired_refresh_tokens).toBeGreaterThanOrEqual(CLEANUP_BATCH + 7)
    expect(deleted.token_families).toBeGreaterThanOrEqual(1)
    expect(await count('retired_refresh_tokens', `hash like '${tag}-%'`)).toBe(0)
    expect(await count('token_families', `id = '${tag}-grant'`)).toBe(0)
  })

  it(`keeps a live grant's newest ${MAX_RETIRED_PER_GRANT} rotated-out refresh tokens, and only those`, async () => {
    const tag = unique('cap')
    const app = await createApplication()
    const grant = (id: string) =>
      env.DB.prepare('insert into token_families (id, application_id, scope, expires_at) values (?, ?, ?, ?)').bind(
        `${tag}-${id}`,
        app.id,
        'read',
        now + 1000,
      )
    const retired = (grantId: string, i: number) =>
      env.DB.prepare('insert into retired_refresh_tokens (hash, family_id, expires_at) values (?, ?, ?)').bind(
        `${tag}-${grantId}-${String(i).padStart(3, '0')}`,
        `${tag}-${grantId}`,
        now + 1000,
      )
    const over = MAX_RETIRED_PER_GRANT + 5
    await env.DB.batch([grant('busy'), grant('quiet')])
    // Inserted oldest first, as rotations insert them.
    await env.DB.batch(Array.from({ length: over }, (_, i) => retired('busy', i)))
    await env.DB.batch(Array.from({ length: 3 }, (_, i) => retired('quiet', i)))
    await runCleanup(env.DB, now)
    const left = await env.DB.prepare('select hash from retired_refresh_tokens where family_id = ? order by hash')
      .bind(`${tag}-busy`)
      .all<{ hash: string }>()
    expect(left.results.map((r) => r.hash)).toEqual(
      Array.from({ length: MAX_RETIRED_PER_GRANT }, (_, i) => `${tag}-busy-${String(i + 5).padStart(3, '0')}`),
    )
    expect(await count('retired_refresh_tokens', `family_id = '${tag}-quiet'`)).toBe(3)
  })

  it('deletes self-registered clients unused for UNUSED_CLIENT_DAYS, never a manual one, and spent jtis', async () => {
    const day = 86_400
    const old = now - 8 * day
    const manual = await createApplication({ created: old })
    const stale = await createApplication({ registration: 'dynamic', created: old, lastUsedAt: old })
    const document = await createApplication({ registration: 'metadata-document', created: old })
    const recent = await createApplication({ registration: 'dynamic', created: old, lastUsedAt: now - day })
    const tag = unique('jti')
    await env.DB.batch([
      env.DB.prepare('insert into client_assertions (key, expires_at) values (?, ?)').bind(`${tag}-spent`, now - 1),
      env.DB.prepare('insert into client_assertions (key, expires_at) values (?, ?)').bind(`${tag}-live`, now + 60),
    ])
    const controller = createScheduledController({ scheduledTime: now * 1000, cron: '17 * * * *' })
    await worker.scheduled(controller, { ...env, UNUSED_CLIENT_DAYS: '7' })
    const ids = [manual, stale, document, recent].map((a) => a.id).join(',')
    const left = await env.DB.prepare(`select id from applications where id in (${ids}) order by id`).all()
    expect(left.results.map((r) => r.id)).toEqual([manual.id, recent.id])
    expect(await count('client_assertions', `key like '${tag}-%'`)).toBe(1)
  })

  it('works through a backlog larger than one statement deletes', async () => {
    const tag = unique('bulk')
    const rows = Array.from({ length: CLEANUP_BATCH + 7 }, (_, i) =>
      env.DB.prepare('insert into rate_limits (key, window_start, failures) values (?, 0, 1)').bind(`${tag}-${i}`),
    )
    await env.DB.batch(rows)
    const deleted = await runCleanup(env.DB, now)
    expect(deleted.rate_limits).toBeGreaterThanOrEqual(CLEANUP_BATCH + 7)
    expect(await count('rate_limits', `key like '${tag}-%'`)).toBe(0)
  })

  it('offers the same statements as plain SQL for the admin CLI, and refuses a non-integer time', () => {
    const statements = cleanupStatements(1_700_000_000)
    expect(statements.map((s) => s.table)).toEqual([
      'applications',
      'authorization_codes',
      'retired_refresh_tokens',
      'retired_refresh_tokens',
      'token_families',
      'sessions',
      'rate_limits',
      'client_assertions',
      'initial_access_tokens',
    ])
    for (const { sql } of statements)
      expect(sql).toMatch(/^delete from \w+ where rowid in \(select rowid from \w+ where .+ limit \d+\)$/)
    expect(() => cleanupStatements(1.5)).toThrow(TypeError)
  })

  it('a live grant’s tokens keep working after a cleanup', async () => {
    const app = await createApplication()
    const user = await createUser()
    const res = await call('/o/token/', {
      basic: [app.clientId, app.clientSecret!],
      form: { grant_type: 'password', username: user.username, password: PASSWORD },
    })
    const { access_token } = (await res.json()) as { access_token: string }
    await runCleanup(env.DB)
    expect((await call('/users/', { token: access_token })).status).toBe(200)
  })
})
