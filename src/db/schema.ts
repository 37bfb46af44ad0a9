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
    /**
     * Who registered the client: a person (the pages, the admin CLI), the client itself by dynamic
     * registration (RFC 7591), or its Client ID Metadata Document (client_id is the document's URL).
     * The last two are shown as "not verified" and deleted by the cron when unused.
     */
    registration: text('registration', { enum: ['manual', 'dynamic', 'metadata-document'] })
      .notNull()
      .default('manual'),
    /** RFC 7591 §2; null means what the client type implies (client_secret_basic/post, or none). */
    tokenEndpointAuthMethod: text('token_endpoint_auth_method', {
      enum: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    }),
    /** The client's public keys for private_key_jwt (RFC 7523): a JWK Set as JSON, or where to fetch it. */
    jwks: text('jwks'),
    jwksUri: text('jwks_uri'),
    /** The client metadata as registered (RFC 7591 §2), JSON; null for a manually registered client. */
    clientMetadata: text('client_metadata'),
    /** SHA-256 (hex) of the RFC 7592 registration access token; null when there is none. */
    registrationTokenHash: text('registration_token_hash'),
    /** When the client last started a flow or authenticated, to a day: what the cron's unused-client cleanup reads. */
    lastUsedAt: integer('last_used_at'),
    created: integer('created').notNull().default(now),
    updated: integer('updated').notNull().default(now),
  },
  (t) => [index('applications_user_idx').on(t.userId), index('applications_registration_idx').on(t.registration)],
)

/** RFC 7591 §3 initial access tokens an administrator issues (admin CLI) when registration needs one. */
export const initialAccessTokens = sqliteTable('initial_access_tokens', {
  /** SHA-256 (hex) of the token; the token itself is shown once. */
  tokenHash: text('token_hash').primaryKey(),
  label: text('label').notNull().default(''),
  created: integer('created').notNull().default(now),
  expiresAt: integer('expires_at').notNull(),
})

/**
 * The `jti` of every private_key_jwt client assertion accepted (RFC 7523 §3 item 7), until its
 * `exp`: the INSERT's primary key makes each single use, even for concurrent requests.
 */
export const clientAssertions = sqliteTable(
  'client_assertions',
  {
    /** SHA-256 (hex) of client_id and jti. */
    key: text('key').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('client_assertions_expires_idx').on(t.expiresAt)],
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
    /**
     * The resources (RFC 8707) the grant was given for, space-separated URIs; null for a grant made
     * before resources existed, which is for the built-in API. A refresh may narrow, never widen them.
     */
    resources: text('resources'),
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
  ],
)

/**
 * Every refresh token a grant rotated out, until it would have expired: a replay of any of them,
 * however many rotations later, is recognised as the grant's and revokes it (RFC 9700 §4.14.2).
 * Written in the rotation's own D1 batch, so it costs no round trip of its own.
 */
export const retiredRefreshTokens = sqliteTable(
  'retired_refresh_tokens',
  {
    /** SHA-256 (hex) of the rotated-out refresh token. */
    hash: text('hash').primaryKey(),
    familyId: text('family_id')
      .notNull()
      .references(() => tokenFamilies.id, { onDelete: 'cascade' }),
    /** When the token would have expired had it not been rotated out (cleanup removes the row then). */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('retired_refresh_tokens_family_idx').on(t.familyId)],
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
    /** The resources (RFC 8707) the request named, space-separated URIs; null: the built-in API. */
    resources: text('resources'),
    created: integer('created').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    /** The grant the code was exchanged for, so a replay can revoke it (RFC 6749 §4.1.2). */
    familyId: text('family_id'),
  },
  (t) => [index('authorization_codes_expires_idx').on(t.expiresAt)],
)

/**
 * APIs this server issues tokens for (RFC 8707 §2: a resource is named by an absolute URI), other
 * than the built-in users/groups API, whose URI is the `API_RESOURCE` var. Registered with the
 * admin CLI (scripts/admin/resources.ts).
 */
export const resources = sqliteTable('resources', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** The resource indicator: an absolute URI without a fragment, compared by exact string equality. */
  uri: text('uri').notNull().unique(),
  name: text('name').notNull().default(''),
  /** Space-separated scopes the resource accepts; empty: any scope this server defines. */
  scopes: text('scopes').notNull().default(''),
  /** What its access tokens look like: opaque (introspected) or a JWT (RFC 9068, verified locally). */
  tokenFormat: text('token_format', { enum: ['opaque', 'jwt'] })
    .notNull()
    .default('opaque'),
  /** Its own access token lifetime in seconds, at most ACCESS_TOKEN_EXPIRE_SECONDS; null: that setting. */
  accessTokenExpireSeconds: integer('access_token_expire_seconds'),
  created: integer('created').notNull().default(now),
})

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

/**
 * The admin site's action log (Django's `django_admin_log`): who added, changed or deleted what,
 * and when. The actor's and the object's names are copied in, so an entry still reads right after
 * either is renamed or deleted.
 */
export const adminLog = sqliteTable(
  'admin_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    actionTime: integer('action_time').notNull().default(now),
    /** The staff user who acted; null once that user is deleted (`actorUsername` stays). */
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    actorUsername: text('actor_username').notNull(),
    /** What kind of object: `user`, `group`, `application` or `accesstoken`. */
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    /** How the object was named at the time. */
    objectRepr: text('object_repr').notNull(),
    action: text('action', { enum: ['add', 'change', 'delete'] }).notNull(),
    /** What changed, in words (field names, never values that could be secret). */
    message: text('message').notNull().default(''),
  },
  (t) => [index('admin_log_object_idx').on(t.objectType, t.objectId), index('admin_log_time_idx').on(t.actionTime)],
)
