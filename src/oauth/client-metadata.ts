/**
 * @module Client metadata (RFC 7591 §2) read and checked, for dynamic registration and for Client
 * ID Metadata Documents: what is kept is only what this server understands and honours (§2: unknown
 * members are ignored), with a size bound on each. A redirect URI problem is `invalid_redirect_uri`,
 * anything else `invalid_client_metadata` (§3.2.2). Redirect URIs follow the application form's rules
 * (redirect-uris.ts).
 */
import { OAuthError } from '../errors'
import type { Application, ClientType, GrantType } from '../store/applications'
import { documentUrlProblem } from './document-fetch'
import { isLoopbackHost, redirectUriProblem } from './redirect-uris'
import { isScopeToken } from './scopes'

export type AuthMethod = NonNullable<Application['tokenEndpointAuthMethod']>
export const AUTH_METHODS: readonly AuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]

/** The metadata as stored and answered (RFC 7591 §3.2.1). */
export type ClientMetadata = {
  redirect_uris: string[]
  token_endpoint_auth_method: AuthMethod
  grant_types: string[]
  response_types: string[]
  client_name?: string
  client_uri?: string
  logo_uri?: string
  scope?: string
  contacts?: string[]
  jwks?: { keys: Record<string, unknown>[] }
  jwks_uri?: string
}

/** The application row's columns the metadata decides. */
export type ClientFields = Pick<
  Application,
  | 'clientType'
  | 'authorizationGrantType'
  | 'redirectUris'
  | 'allowedOrigins'
  | 'name'
  | 'tokenEndpointAuthMethod'
  | 'jwks'
  | 'jwksUri'
  | 'clientMetadata'
>

export type MetadataOptions = {
  passwordGrantEnabled: boolean
  /** jwks_uri may be plain http on loopback (the server itself runs on loopback). */
  allowLoopback: boolean
  /** RFC 7591 §2 says client_secret_basic; a metadata document has no secret, so `none`. */
  defaultAuthMethod: AuthMethod
  /** The auth methods accepted (a metadata document: none and private_key_jwt only). */
  authMethods: readonly AuthMethod[]
}

const MAX_REDIRECT_URIS = 10
const MAX_URI = 2000
const MAX_NAME = 255
const MAX_CONTACTS = 10
const MAX_JWKS_BYTES = 8192
const MAX_KEYS = 10
const KEY_TYPES = ['RSA', 'EC', 'OKP']
// Members only a private or symmetric key has: a client publishes public keys only (RFC 7517 §6-§7).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

const bad = (message: string) => new OAuthError('invalid_client_metadata', message)

/** Each grant type a client may register, and the application grant it makes (one per client here). */
const GRANTS: Record<string, GrantType> = {
  authorization_code: 'authorization-code',
  password: 'password',
  client_credentials: 'client-credentials',
}

/** What a client holding the application grant gets, so what its metadata says (§3.2.1: as registered). */
const GRANT_TYPES_OF: Record<GrantType, string[]> = {
  'authorization-code': ['authorization_code', 'refresh_token'],
  password: ['password', 'refresh_token'],
  'client-credentials': ['client_credentials'],
}

function stringOf(input: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw bad(`${name} must be a string.`)
  if (value.length > max) throw bad(`${name} is longer than ${max} characters.`)
  return value
}

function stringsOf(input: Record<string, unknown>, name: string, max: number): string[] | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw bad(`${name} must be an array of strings.`)
  if (value.length > max) throw bad(`${name} has more than ${max} entries.`)
  return [...new Set(value as string[])]
}

/** A web page URI a client names about itself (client_uri, logo_uri): https, or http on loopback while allowed. */
function webUri(input: Record<string, unknown>, name: string, allowLoopback: boolean): string | undefined {
  const value = stringOf(input, name, MAX_URI)
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad(`${name} is not an absolute URI.`)
  }
  const loopbackHttp = allowLoopback && url.protocol === 'http:' && isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !loopbackHttp) throw bad(`${name} must use https.`)
  return value
}

function redirectUrisOf(input: Record<string, unknown>): string[] {
  const value = input.redirect_uris
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new OAuthError('invalid_redirect_uri', 'redirect_uris must be an array of strings.')
  }
  if (value.length > MAX_REDIRECT_URIS) {
    throw new OAuthError('invalid_redirect_uri', `redirect_uris has more than ${MAX_REDIRECT_URIS} entries.`)
  }
  for (const uri of value as string[]) {
    // Stored space-separated, and matched by exact string: a space or control character would split or blur it.
    const problem =
      uri.length > MAX_URI
        ? `A redirect URI is longer than ${MAX_URI} characters.`
        : /[\s\p{Cc}]/u.test(uri)
          ? 'A redirect URI must not contain whitespace or control characters.'
          : redirectUriProblem(uri)?.replace(uri, 'A redirect URI')
    // The URI itself is not echoed: error_description allows printable ASCII only (RFC 6749 §5.2).
    if (problem) throw new OAuthError('invalid_redirect_uri', problem)
  }
  return [...new Set(value as string[])]
}

/**
 * The registered `scope` (§2): scope-tokens (RFC 6749 §3.3), this server's or a resource's own
 * (a resource registered later may define them), without repeats. It limits what the client may
 * ask for (registeredScopes); an empty one limits nothing.
 */
function scopeOf(input: Record<string, unknown>): string | undefined {
  const value = stringOf(input, 'scope', MAX_URI)
  if (value === undefined) return undefined
  const names = value.split(' ').filter(Boolean)
  if (!names.every(isScopeToken)) throw bad('scope must be space-separated scope tokens (RFC 6749 section 3.3).')
  return [...new Set(names)].join(' ')
}

/**
 * RFC 7591 §2: the scopes a client registered are those it "can use when requesting access
 * tokens", so a request beyond them is `invalid_scope`. Null for a client that registered none
 * (every manually created client): no limit beyond the server's own rules.
 */
export function registeredScopes(app: Pick<Application, 'clientMetadata'>): ReadonlySet<string> | null {
  if (!app.clientMetadata) return null
  let scope: unknown
  try {
    scope = (JSON.parse(app.clientMetadata) as Record<string, unknown>).scope
  } catch {
    // Only this server writes it; unreadable, it allows nothing rather than everything.
    return new Set()
  }
  return typeof scope === 'string' && scope ? new Set(scope.split(' ')) : null
}

function jwksOf(input: Record<string, unknown>): ClientMetadata['jwks'] {
  const value = input.jwks
  if (value === undefined || value === null) return undefined
  const keys = (value as { keys?: unknown })?.keys
  if (typeof value !== 'object' || !Array.isArray(keys) || keys.length === 0) {
    throw bad('jwks must be a JWK Set: an object with a non-empty keys array.')
  }
  if (keys.length > MAX_KEYS) throw bad(`jwks has more than ${MAX_KEYS} keys.`)
  if (JSON.stringify(value).length > MAX_JWKS_BYTES) throw bad(`jwks is larger than ${MAX_JWKS_BYTES} bytes.`)
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw bad('jwks holds a key that is not a JWK.')
    if (!KEY_TYPES.includes((key as { kty?: string }).kty ?? '')) throw bad('jwks holds a key of an unsupported kty.')
    if (PRIVATE_MEMBERS.some((m) => m in key)) throw bad('jwks must hold public keys only.')
  }
  return { keys: keys as Record<string, unknown>[] }
}

/** The grant types asked for (RFC 7591 §2, default authorization_code), as this server's one grant per client. */
function grantOf(input: Record<string, unknown>, passwordGrantEnabled: boolean): GrantType {
  const asked = stringsOf(input, 'grant_types', 5) ?? ['authorization_code']
  const main = asked.filter((g) => g !== 'refresh_token')
  for (const g of main) {
    if (!(g in GRANTS) || (g === 'password' && !passwordGrantEnabled)) {
      throw bad('grant_types names a grant type this server does not offer.')
    }
  }
  if (main.length !== 1) throw bad('Register one of authorization_code, client_credentials or password per client.')
  const grant = GRANTS[main[0]!]!
  if (asked.includes('refresh_token') && grant === 'client-credentials') {
    throw bad('client_credentials gets no refresh token.')
  }
  return grant
}

/**
 * The CORS origins of a client that registered itself: those of its http(s) redirect URIs. Such a
 * client cannot list origins (RFC 7591 has no field for them), and a browser-based one (an SPA, MCP
 * Inspector) runs where it is redirected to, so this lets it read the token endpoint's answers
 * (src/auth/cors.ts) while every other origin stays refused. Custom schemes have no origin.
 */
function originsOf(redirectUris: readonly string[]): string {
  const origins = redirectUris
    .map((uri) => new URL(uri))
    .filter((url) => url.protocol === 'https:' || url.protocol === 'http:')
  return [...new Set(origins.map((url) => url.origin))].join(' ')
}

/** The metadata checked, and the application row's columns it decides; throws the RFC 7591 error for the first problem. */
export function readClientMetadata(
  input: unknown,
  opts: MetadataOptions,
): { metadata: ClientMetadata; fields: ClientFields } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('The request body must be a JSON object of client metadata.')
  }
  const body = input as Record<string, unknown>
  const redirectUris = redirectUrisOf(body)
  const grant = grantOf(body, opts.passwordGrantEnabled)
  const method = (stringOf(body, 'token_endpoint_auth_method', 64) ?? opts.defaultAuthMethod) as AuthMethod
  if (!opts.authMethods.includes(method)) throw bad('token_endpoint_auth_method is not one this server accepts here.')
  const responseTypes = stringsOf(body, 'response_types', 5) ?? (grant === 'authorization-code' ? ['code'] : [])
  if (responseTypes.some((t) => t !== 'code')) throw bad('response_types may only hold code.')
  if ((grant === 'authorization-code') !== responseTypes.includes('code')) {
    throw bad('response_types must be code with authorization_code, and empty otherwise.')
  }
  if (grant === 'authorization-code' && redirectUris.length === 0) {
    throw new OAuthError('invalid_redirect_uri', 'The authorization code grant needs at least one redirect URI.')
  }
  // RFC 6749 §4.4: a client acting on its own behalf must be able to authenticate.
  if (grant === 'client-credentials' && method === 'none')
    throw bad('client_credentials needs an authenticating client.')
  const jwks = jwksOf(body)
  const jwksUri = stringOf(body, 'jwks_uri', MAX_URI)
  if (jwksUri !== undefined) {
    const problem = documentUrlProblem(jwksUri, opts.allowLoopback)
    if (problem) throw bad(`jwks_uri: ${problem}`)
  }
  // §2: jwks and jwks_uri MUST NOT both be present.
  if (jwks && jwksUri !== undefined) throw bad('Send jwks or jwks_uri, not both.')
  if (method === 'private_key_jwt' && !jwks && jwksUri === undefined)
    throw bad('private_key_jwt needs jwks or jwks_uri.')

  const metadata: ClientMetadata = {
    redirect_uris: redirectUris,
    token_endpoint_auth_method: method,
    grant_types: GRANT_TYPES_OF[grant],
    response_types: responseTypes,
  }
  const optional = {
    client_name: stringOf(body, 'client_name', MAX_NAME)?.trim() || undefined,
    client_uri: webUri(body, 'client_uri', opts.allowLoopback),
    logo_uri: webUri(body, 'logo_uri', opts.allowLoopback),
    scope: scopeOf(body),
    contacts: stringsOf(body, 'contacts', MAX_CONTACTS),
    jwks,
    jwks_uri: jwksUri,
  }
  if (optional.contacts?.some((c) => c.length > MAX_NAME)) throw bad(`A contact is longer than ${MAX_NAME} characters.`)
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) (metadata as Record<string, unknown>)[name] = value
  }
  const clientType: ClientType = method === 'none' ? 'public' : 'confidential'
  return {
    metadata,
    fields: {
      clientType,
      authorizationGrantType: grant,
      redirectUris: redirectUris.join(' '),
      allowedOrigins: originsOf(redirectUris),
      name: metadata.client_name ?? '',
      tokenEndpointAuthMethod: method,
      jwks: jwks ? JSON.stringify(jwks) : null,
      jwksUri: jwksUri ?? null,
      clientMetadata: JSON.stringify(metadata),
    },
  }
}

/** Whether the client authenticates with a secret (one is issued at registration, RFC 7591 §3.2.1). */
export const usesSecret = (method: AuthMethod) => method === 'client_secret_basic' || method === 'client_secret_post'
