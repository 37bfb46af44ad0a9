/**
 * @module D1 schema. Everything that needs strong consistency lives here: accounts, clients,
 * the single-use state of refresh tokens and authorization codes, sessions and rate limits.
 * Short-lived token records live in KV (see docs/storage.md). Times are Unix seconds.
 */
import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

const now = sql`(unixepoch())`

/** Django's auth_user, field for field. */
export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  /** A self-describing hash (see src/crypto/password.ts), or "!" for an unusable password. */
  password: text('password').notNull(),
  email: text('email').notNull().default(''),
  firstName: text('first_name').notNull().default(''),
  lastName: text('last_name').notNull().default(''),
  isStaff: integer('is_staff', { mode: 'boolean' }).notNull().default(false),
  isSuperuser: integer('is_superuser', { mode: 'boolean' }).notNull().default(false),
  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
  dateJoined: integer('date_joined').notNull().default(now),
  lastLogin: integer('last_login'),
})

export const groups = sqliteTable('groups', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
})

export const userGroups = sqliteTable(
  'user_groups',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    groupId: integer('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.groupId] }), index('user_groups_group_idx').on(t.groupId)],
)

/** OAuth clients, as django-oauth-toolkit's Application model. */
export const applications = sqliteTable(
  'applications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientId: text('client_id').notNull().unique(),
    /** SHA-256 (hex) of the client secret; null for public clients. The secret is shown once. */
    clientSecretHash: text('client_secret_hash'),
    name: text('name').notNull().default(''),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    clientType: text('client_type', { enum: ['confidential', 'public'] }).notNull(),
    authorizationGrantType: text('authorization_grant_type', {
      enum: ['authorization-code', 'password', 'client-credentials'],
    }).notNull(),
    /** Space-separated absolute URIs, compared by exact string equality. */
    redirectUris: text('redirect_uris').notNull().default(''),
    /** Space-separated origins allowed to call the token/API endpoints from a browser (CORS). */
    allowedOrigins: text('allowed_origins').notNull().default(''),
    /** Consent is not asked (DOT's flag). Set by an administrator only, never on the self-service pages. */
    skipAuthorization: integer('skip_authorization', { mode: 'boolean' }).notNull().default(false),
    /**
     * Moves on each time the client secret is replaced or dropped, by a trigger (migrations/0003),
     * so a change made in the D1 console counts as one made by the pages. A client_credentials token
     * records the generation it was issued under and is honoured only while it is still the
     * current one, so a new secret ends the tokens the old one got.
     */
    secretGeneration: integer('secret_generation').notNull().default(0),
    created: integer('created').notNull().default(now),
    updated: integer('updated').notNull().default(now),
  },
  (t) => [index('applications_user_idx').on(t.userId)],
)

/**
 * One row per grant (a password/code exchange and all the refreshes after it). The refresh
 * token's single use is decided here, atomically:
 * `UPDATE … SET refresh_hash = new WHERE id = ? AND refresh_hash = old AND revoked_at IS NULL`.
 */
export const tokenFamilies = sqliteTable(
  'token_families',
  {
    id: text('id').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** The scope the resource owner granted: no refresh may widen past it (RFC 6749 §6). */
    scope: text('scope').notNull(),
    /** SHA-256 (hex) of the one refresh token of this family that may still be used. */
    refreshHash: text('refresh_hash'),
    /** SHA-256 (hex) of the access token issued with it, deleted from KV on rotation/revocation. */
    accessHash: text('access_hash'),
    /**
     * SHA-256 (hex) of the refresh token this family last rotated from: a retry of it within the
     * grace window (REFRESH_TOKEN_GRACE_SECONDS) rotates again; otherwise it is a reuse, found here without KV.
     */
    previousRefreshHash: text('previous_refresh_hash'),
    /** When `previous_refresh_hash` was rotated out (unix seconds): the grace window starts here. */
    rotatedAt: integer('rotated_at'),
    /** For OpenID Connect: when the user authenticated. */
    authTime: integer('auth_time'),
    created: integer('created').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('token_families_user_idx').on(t.userId),
    index('token_families_app_idx').on(t.applicationId),
    index('token_families_expires_idx').on(t.expiresAt),
    // The refresh grant finds its family by the presented token's digest, in its one D1 batch.
    index('token_families_refresh_idx').on(t.refreshHash),
    index('token_families_previous_refresh_idx').on(t.previousRefreshHash),
  ],
)

/** Authorization codes (RFC 6749 §4.1), stored by digest; `used_at` makes them single use. */
export const authorizationCodes = sqliteTable(
  'authorization_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The redirect_uri sent to /authorize, or null when it was omitted. */
    redirectUri: text('redirect_uri'),
    scope: text('scope').notNull(),
    codeChallenge: text('code_challenge'),
    codeChallengeMethod: text('code_challenge_method'),
    nonce: text('nonce'),
    authTime: integer('auth_time').notNull(),
    created: integer('created').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    /** The grant the code was exchanged for, so a replay can revoke it (RFC 6749 §4.1.2). */
    familyId: text('family_id'),
  },
  (t) => [index('authorization_codes_expires_idx').on(t.expiresAt)],
)

/** Browser sessions for the sign-in, consent and application pages. */
export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 (hex) of the random session id kept in the cookie. */
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Random per-session secret the CSRF tokens of its forms are derived from. */
    csrfSecret: text('csrf_secret').notNull(),
    created: integer('created').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
)

/**
 * Fixed-window counters for brute-force protection (src/auth/rate-limit.ts), keyed by
 * "user-ip:<name>|<addr>", "ip:<addr>" or "user:<name>": failed password checks, plus checks in progress.
 */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  failures: integer('failures').notNull().default(0),
})
