/**
 * @module Bearer tokens (RFC 6750) for any route: one KV read, and no D1 query for a user's token
 * (routes behind `requireUser()` check that user in D1 in their own round trip: ./active-user.ts). Refusals carry the
 * RFC 6750 §3 challenge; they are thrown as BearerRefused, which each surface's onError renders in its
 * own body format: DRF's `{"detail"}` on the API, RFC 6749 §5.2 JSON on the protocol endpoints.
 *
 * @example
 * app.get('/reports/', bearerAuth(), requireUser(), requireScopes('read'), (c) => c.json(…))
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError, OAuthError } from '../errors'
import { readText } from '../http/body'
import { readBearerToken } from '../http/bearer-token'
import { accessTokensFor } from '../tokens/deps'
import type { AccessTokenInfo } from '../store/tokens'
import { findApplication, isClientTokenCurrent } from '../store/applications'

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the bearer middleware for a valid access token. */
    auth: AccessTokenInfo
  }
}

const REALM = 'realm="api"'
const NOT_PROVIDED = 'Authentication credentials were not provided.'

/** The RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/** Why a bearer request was refused; no `code` when it carried no credentials at all (§3.1). */
export type BearerRefusal = { code?: BearerErrorCode; description?: string; scope?: string }

/** RFC 6750 §3 challenge: `Bearer realm="api"` plus any attributes, each quoted once. */
function bearerChallenge(attributes: Record<string, string> = {}): string {
  const extra = Object.entries(attributes).map(([k, v]) => `, ${k}="${v}"`)
  return `Bearer ${REALM}${extra.join('')}`
}

/**
 * A refused bearer request, thrown without a body: the surface's onError renders it in its own
 * format (bearerOAuthError on the protocol endpoints, bearerApiError on the API). Descriptions
 * must not contain `"` or `\`.
 */
export class BearerRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    readonly refusal: BearerRefusal = {},
  ) {
    super(refusal.code ?? 'no credentials')
    this.name = 'BearerRefused'
  }
}

/**
 * The challenge header: it names the error (and the scope that was missing), described or not, and
 * where the resource's RFC 9728 metadata is (§5.1), when given.
 */
function challengeHeaders(
  refusal: BearerRefusal,
  describe: boolean,
  resourceMetadata?: string,
): Record<string, string> {
  const attributes: Record<string, string> = {}
  if (refusal.code) attributes.error = refusal.code
  if (refusal.description && describe) attributes.error_description = refusal.description
  if (refusal.scope) attributes.scope = refusal.scope
  if (resourceMetadata) attributes.resource_metadata = resourceMetadata
  return { 'WWW-Authenticate': bearerChallenge(attributes) }
}

/** The refusal as the protocol endpoints answer it: RFC 6749 §5.2 JSON, the challenge always described. */
export function bearerOAuthError({ status, refusal }: BearerRefused): OAuthError {
  const headers = challengeHeaders(refusal, true)
  return new OAuthError(refusal.code ?? 'invalid_request', refusal.description ?? NOT_PROVIDED, status, headers)
}

/**
 * The refusal as the API answers it: DRF's `{"detail"}`. A 401 names the API's RFC 9728 metadata
 * (`resourceMetadata`), so a client that holds no (good) token learns where to get one.
 */
export function bearerApiError({ status, refusal }: BearerRefused, resourceMetadata?: string): ApiError {
  // The API keeps DOT's challenge (an error_description only for invalid tokens, steps 065/068).
  const metadata = status === 401 ? resourceMetadata : undefined
  const headers = challengeHeaders(refusal, refusal.code !== 'insufficient_scope', metadata)
  if (status === 403) return new ApiError(403, 'You do not have permission to perform this action.', headers)
  // DRF answers every 401 with this detail, whatever the challenge says (DOT steps 056-068).
  return new ApiError(status, status === 400 ? refusal.description! : NOT_PROVIDED, headers)
}

export { readBearerToken }

const TWO_METHODS = 'The access token must be sent in the Authorization header only.'
const MALFORMED = 'The Authorization header is malformed.'
const INVALID_TOKEN = { code: 'invalid_token', description: 'The access token is invalid.' } as const

/** Whether the request also carries `access_token` in the query or in a form body (§2.2, §2.3). */
async function hasTokenElsewhere(c: Context<AppEnv>): Promise<boolean> {
  if (new URL(c.req.url).searchParams.has('access_token')) return true
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded' || c.req.method === 'GET' || c.req.method === 'HEAD') return false
  return new URLSearchParams(await readText(c)).has('access_token')
}

const OTHER_AUDIENCE = { code: 'invalid_token', description: 'The access token is for another resource.' } as const

/**
 * Authenticates the request by its bearer token. Tokens are read from the Authorization header
 * only, never from the query (RFC 9700 §4.3.2) or the body: a token there alone counts as no
 * credentials, and besides the header it is 400 `invalid_request` (§2: "MUST NOT use more than
 * one method"), as is a malformed header. Without credentials: 401 with a bare challenge (§3.1);
 * an unknown, revoked or expired token: 401 `invalid_token`, as is (RFC 8707, RFC 9068 §4) a token
 * whose audience does not include `audience`, when given. A token without `aud` is for the
 * built-in API (it was requested without `resource`).
 */
export async function authenticateBearer(c: Context<AppEnv>, audience?: string): Promise<AccessTokenInfo> {
  const token = readBearerToken(c.req.header('Authorization'))
  if (token !== null && (await hasTokenElsewhere(c))) {
    throw new BearerRefused(400, { code: 'invalid_request', description: TWO_METHODS })
  }
  if (token === 'malformed') throw new BearerRefused(400, { code: 'invalid_request', description: MALFORMED })
  if (token === null) throw new BearerRefused(401)
  const found = await accessTokensFor(c.env).read(token)
  if (found === null) throw new BearerRefused(401, INVALID_TOKEN)
  if (found === 'expired')
    throw new BearerRefused(401, { code: 'invalid_token', description: 'The access token has expired.' })
  const { info } = found
  // The audience rides in the token's record: the check costs no storage.
  if (audience !== undefined && info.aud && !info.aud.includes(audience)) throw new BearerRefused(401, OTHER_AUDIENCE)
  // A client_credentials token has no grant row that deleting its application could revoke, so it
  // lives as long as its application (as DOT's cascade has it) and its client secret: one D1
  // primary-key read, for these tokens only. A user's token is revoked with its grant instead.
  if (info.userId === null && !isClientTokenCurrent(await findApplication(c.get('db'), info.applicationId), info)) {
    throw new BearerRefused(401, INVALID_TOKEN)
  }
  return info
}

/** What a route takes tokens for: `audience` gives its resource URI, and tokens for others are refused. */
export type BearerOptions = { audience?: (c: Context<AppEnv>) => string }

/** Middleware: authenticates the request by its bearer token and sets `c.get('auth')`. */
export const bearerAuth = (options: BearerOptions = {}) =>
  createMiddleware<AppEnv>(async function bearerAuth(c, next) {
    c.set('auth', await authenticateBearer(c, options.audience?.(c)))
    await next()
  })
