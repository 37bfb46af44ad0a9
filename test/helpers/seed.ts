/** Test data, written straight to the test's D1 with unique defaults; override what a test cares about. */
import { env } from 'cloudflare:workers'
import { createDb } from '../../src/db/client'
import { applications, groups, userGroups, users } from '../../src/db/schema'
import { hashPassword } from '../../src/crypto/password'
import { newClientId, randomToken, sha256Hex } from '../../src/crypto/token'
import { rememberSecret } from './secrets'

export const db = () => createDb(env.DB)

let counter = 0
export const unique = (prefix: string) => `${prefix}${++counter}_${randomToken(4).replace(/[^A-Za-z0-9]/g, 'x')}`

// One hash for every seeded user, at a low scrypt cost: verification reads the parameters from the
// stored hash, so the code under test is the production path, minus ~0.3 s per sign-in. The
// production parameters are asserted in test/unit/password.test.ts and on users the API creates.
export const PASSWORD = 'correct horse battery staple'
const FIXTURE_SCRYPT = { ln: 4, r: 8, p: 1 }
rememberSecret(PASSWORD)
let passwordHash: Promise<string> | undefined

export async function createUser(overrides: Partial<typeof users.$inferInsert> = {}) {
  passwordHash ??= hashPassword(PASSWORD, FIXTURE_SCRYPT)
  return db()
    .insert(users)
    .values({ username: unique('user'), email: 'someone@example.com', password: await passwordHash, ...overrides })
    .returning()
    .get()
}

export async function createGroup(name = unique('group'), members: number[] = []) {
  const group = await db().insert(groups).values({ name }).returning().get()
  for (const userId of members) await db().insert(userGroups).values({ userId, groupId: group.id }).run()
  return group
}

export type TestApp = typeof applications.$inferSelect & { clientSecret: string | null }

export async function createApplication(overrides: Partial<typeof applications.$inferInsert> = {}): Promise<TestApp> {
  const clientSecret = overrides.clientType === 'public' ? null : randomToken()
  rememberSecret(clientSecret)
  const app = await db()
    .insert(applications)
    .values({
      clientId: newClientId(),
      clientSecretHash: clientSecret && sha256Hex(clientSecret),
      name: unique('app'),
      clientType: 'confidential',
      authorizationGrantType: 'password',
      ...overrides,
    })
    .returning()
    .get()
  return { ...app, clientSecret }
}

export type ResourceOverrides = {
  uri?: string
  name?: string
  /** Space-separated; empty (the default): the built-in API's scopes. */
  scopes?: string
  tokenFormat?: 'opaque' | 'jwt'
  lifetime?: number | null
}

/** Registers a resource (RFC 8707) as the admin CLI does, in plain SQL; its URI. */
export async function createResource(opts: ResourceOverrides = {}): Promise<string> {
  const uri = opts.uri ?? `https://${unique('api').toLowerCase()}.example/mcp`
  await env.DB.prepare(
    'insert into resources (uri, name, scopes, token_format, access_token_expire_seconds) values (?, ?, ?, ?, ?)',
  )
    .bind(uri, opts.name ?? 'Test API', opts.scopes ?? '', opts.tokenFormat ?? 'opaque', opts.lifetime ?? null)
    .run()
  return uri
}
