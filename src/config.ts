/**
 * @module Settings: scopes, lifetimes and switches. Wrangler vars (strings) are read here and
 * nowhere else, so every unit lives in a name.
 */

/** The scopes this server defines, with the descriptions the consent page shows (DOT's SCOPES). */
export const SCOPES = {
  read: 'Read scope',
  write: 'Write scope',
  groups: 'Access to your groups',
  openid: 'Sign you in to the application with your account',
  profile: 'Your name and username',
  email: 'Your email address',
  introspection: 'Check tokens issued by this server (for resource servers)',
} as const satisfies Record<string, string>

export type Scope = keyof typeof SCOPES

/** The scope a token gets when the request names none: the tutorial's three, whatever else exists. */
export const DEFAULT_SCOPES: readonly Scope[] = ['read', 'write', 'groups']

/** The ways a scope is asked for: a token request's grant type, or the authorization endpoint. */
export type ScopeRequest = 'authorization_code' | 'password' | 'client_credentials' | 'refresh_token'

/**
 * Which scopes each kind of request may ask for; anything else is `invalid_scope`.
 * - `openid`, `profile`, `email` describe a signed-in user to a client (OpenID Connect Core §3.1),
 *   so only the authorization code flow, where the user signs in and consents, grants them.
 * - `introspection` lets a resource server check other clients' tokens (RFC 7662 §2.1): only a
 *   confidential client acting for itself (client_credentials) may hold it, never a user's token.
 * - A refresh may ask for any known scope; it is then bounded by the grant's own (RFC 6749 §6).
 */
export const GRANTABLE_SCOPES: Record<ScopeRequest, readonly Scope[]> = {
  authorization_code: ['read', 'write', 'groups', 'openid', 'profile', 'email'],
  password: ['read', 'write', 'groups'],
  client_credentials: ['read', 'write', 'groups', 'introspection'],
  refresh_token: Object.keys(SCOPES) as Scope[],
}

/** The largest request body any endpoint reads (a 413 beyond it). */
export const MAX_BODY_BYTES = 64 * 1024

/** The longest value an OAuth parameter may have (a 400 naming the parameter beyond it). */
export const MAX_PARAM_LENGTH = 2048

/** KV refuses an expirationTtl under 60 s; records shorter than that still expire on read. */
export const KV_MIN_TTL_SECONDS = 60

export type Settings = {
  accessTokenExpireSeconds: number
  refreshTokenExpireSeconds: number
  /**
   * How long after a rotation a retry with the rotated-out refresh token still gets a fresh pair
   * instead of revoking the grant (0, the default: never). See docs/performance.md, "Retry grace".
   */
  refreshTokenGraceSeconds: number
  authorizationCodeExpireSeconds: number
  idTokenExpireSeconds: number
  sessionExpireSeconds: number
  passwordGrantEnabled: boolean
  issuer: string
  pageSize: number | null
  maxPageSize: number
  /** RFC 7591 registration policy; null: decided by where the server runs (registrationPolicy in src/oauth). */
  clientRegistration: RegistrationPolicy | null
  unusedClientDays: number
  /** The one log line per request (LOG_REQUESTS); the other events are logged either way. */
  logRequests: boolean
}

/** Who may register a client dynamically (RFC 7591 §3): anyone, holders of an initial access token, or no one. */
export type RegistrationPolicy = 'open' | 'initial-access-token' | 'off'
/** The CLIENT_REGISTRATION values; any other non-empty value counts as 'off' (npm run preflight warns of it). */
export const REGISTRATION_POLICIES: readonly string[] = ['open', 'initial-access-token', 'off']

const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number.parseInt(value ?? '', 10)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

// One env object serves every request of an isolate (src/index.ts guards it once): its settings
// are read once, not on each of the several reads a request makes.
const settingsOf = new WeakMap<object, Settings>()

/** Reads the settings from the Worker's vars, with DOT's defaults where a var is unset. */
export function readSettings(env: Partial<Env>): Settings {
  let settings = settingsOf.get(env)
  if (!settings) {
    settings = parseSettings(env)
    settingsOf.set(env, settings)
  }
  return settings
}

function parseSettings(env: Partial<Env>): Settings {
  const pageSize = positiveInt(env.PAGE_SIZE, 0)
  return {
    accessTokenExpireSeconds: positiveInt(env.ACCESS_TOKEN_EXPIRE_SECONDS, 36000),
    refreshTokenExpireSeconds: positiveInt(env.REFRESH_TOKEN_EXPIRE_SECONDS, 2592000),
    refreshTokenGraceSeconds: positiveInt(env.REFRESH_TOKEN_GRACE_SECONDS, 0),
    authorizationCodeExpireSeconds: positiveInt(env.AUTHORIZATION_CODE_EXPIRE_SECONDS, 60),
    idTokenExpireSeconds: positiveInt(env.ID_TOKEN_EXPIRE_SECONDS, 3600),
    sessionExpireSeconds: positiveInt(env.SESSION_EXPIRE_SECONDS, 1209600),
    passwordGrantEnabled: (env.PASSWORD_GRANT_ENABLED ?? 'true').toLowerCase() !== 'false',
    issuer: (env.ISSUER ?? '').replace(/\/+$/, ''),
    pageSize: pageSize > 0 ? pageSize : null,
    maxPageSize: positiveInt(env.MAX_PAGE_SIZE, 1000),
    // An unknown value fails closed: "off", never "open".
    clientRegistration: env.CLIENT_REGISTRATION
      ? REGISTRATION_POLICIES.includes(env.CLIENT_REGISTRATION)
        ? (env.CLIENT_REGISTRATION as RegistrationPolicy)
        : 'off'
      : null,
    unusedClientDays: positiveInt(env.UNUSED_CLIENT_DAYS, 30),
    logRequests: (env.LOG_REQUESTS ?? 'true').toLowerCase() !== 'false',
  }
}
