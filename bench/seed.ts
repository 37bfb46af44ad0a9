/**
 * @module The bench's data, written straight to the local D1 through Miniflare's binding: the
 * migrations, then users, groups and applications in multi-row INSERTs sent in D1 batches. Every
 * user shares one password hash, made once in Node by the app's own hashPassword.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Miniflare } from 'miniflare'
import { hashPassword } from '../src/crypto/password'
import { randomToken, sha256Hex } from '../src/crypto/token'

export type SeedSize = { users: number; groups: number; apps: number }

/** A confidential client the bench authenticates as. */
export type BenchClient = { clientId: string; secret: string }

export type Seeded = {
  password: string
  passwordClient: BenchClient
  credentialsClient: BenchClient
  codeClient: BenchClient & { id: number }
  firstUser: string
}

export const BENCH_PASSWORD = 'bench-password-not-secret'

/** A registered resource (RFC 8707) whose access tokens are JWTs (RFC 9068): the JWT bearer row's. */
export const BENCH_JWT_RESOURCE = 'https://jwt.bench/api'

const ROWS_PER_INSERT = 500
const STATEMENTS_PER_BATCH = 50

/** Applies migrations/*.sql in order, as `wrangler d1 migrations apply` would. */
async function migrate(db: D1Database) {
  const files = readdirSync('migrations')
    .filter((f) => f.endsWith('.sql'))
    .sort()
  for (const file of files) {
    const sql = readFileSync(join('migrations', file), 'utf8')
    const statements = sql
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean)
    await db.batch(statements.map((s) => db.prepare(s)))
  }
}

// Only bench-generated values are inlined: ids, fixed names, a base64 hash and hex digests.
const quote = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`)

/** Inserts rows as multi-row INSERTs, several statements per D1 batch. */
async function insertRows(db: D1Database, table: string, columns: string[], rows: Array<Array<string | number>>) {
  const statements: D1PreparedStatement[] = []
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map((r) => `(${r.map(quote).join(',')})`)
    statements.push(db.prepare(`insert into ${table} (${columns.join(',')}) values ${values.join(',')}`))
  }
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH))
  }
}

const username = (i: number) => `user${String(i).padStart(6, '0')}`

/** Migrates and seeds the app's D1; returns the credentials the scenarios use. */
export async function seed(mf: Miniflare, size: SeedSize): Promise<Seeded> {
  const db = await mf.getD1Database('DB', 'app')
  await migrate(db)
  const hash = await hashPassword(BENCH_PASSWORD)
  const users = Array.from({ length: size.users }, (_, i) => {
    const name = username(i + 1)
    return [name, hash, `${name}@example.com`, 'Bench', `User ${i + 1}`]
  })
  await insertRows(db, 'users', ['username', 'password', 'email', 'first_name', 'last_name'], users)
  const groups = Array.from({ length: size.groups }, (_, i) => [`group${i + 1}`])
  await insertRows(db, 'groups', ['name'], groups)
  // The apps take turns at the three grant types; the bench uses the first of each (ids 1, 2, 3).
  const grantTypes = ['password', 'client-credentials', 'authorization-code'] as const
  const clients = Array.from({ length: Math.max(size.apps, 3) }, (_, i) => ({
    clientId: randomToken(24),
    secret: randomToken(),
    i,
  }))
  const apps = clients.map(({ clientId, secret, i }) => [
    clientId,
    sha256Hex(secret),
    `bench app ${i + 1}`,
    'confidential',
    grantTypes[i % 3]!,
  ])
  await insertRows(
    db,
    'applications',
    ['client_id', 'client_secret_hash', 'name', 'client_type', 'authorization_grant_type'],
    apps,
  )
  await db
    .prepare("insert into resources (uri, name, token_format) values (?, 'bench JWT resource', 'jwt')")
    .bind(BENCH_JWT_RESOURCE)
    .run()
  return {
    password: BENCH_PASSWORD,
    passwordClient: clients[0]!,
    credentialsClient: clients[1]!,
    codeClient: { ...clients[2]!, id: 3 },
    firstUser: username(1),
  }
}

/**
 * Authorization codes for the code client and the first user, written to D1 as the consent page
 * would (src/oauth/store/codes.ts), for the bench to exchange at the token endpoint: a grant
 * without a password hash. They expire in 60 s, so they are made just before the exchange.
 */
export async function insertCodes(mf: Miniflare, seeded: Seeded, n: number): Promise<string[]> {
  const db = await mf.getD1Database('DB', 'app')
  const codes = Array.from({ length: n }, () => randomToken())
  const now = Math.floor(Date.now() / 1000)
  const rows = codes.map((code) => [sha256Hex(code), seeded.codeClient.id, 1, 'read', now, now + 60])
  await insertRows(
    db,
    'authorization_codes',
    ['code_hash', 'application_id', 'user_id', 'scope', 'auth_time', 'expires_at'],
    rows,
  )
  return codes
}
