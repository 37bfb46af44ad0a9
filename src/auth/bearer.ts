/**
 * @module Bearer tokens (RFC 6750) for any route: one KV read, and no D1 query for a user's token
 * (routes behind `requireUser()` check that user in D1 in their own round trip: ./active-user.ts).
 * At the built-in API (`grantInD1`), a user's JWT access token costs no storage here at all: its
 * signature, `typ`, `iss`, `exp` and audience are checked locally, and the statement that checks
 * its user also checks that its grant (`grant_id`) still has it as its current access token, so a
 * revocation is seen at once without its KV record. Refusals carry the RFC 6750 §3 challenge; they
 * are thrown as BearerRefused, which each surface's onError renders in its own body format: DRF's
 * `{"detail"}` on the API, RFC 6749 §5.2 JSON on the protocol endpoints.
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
import { readJwtClaims, looksLikeJwt } from '../tokens/jwt'
import { signingKeys } from '../oidc/keys'
import { issuerUrl } from '../oauth/issuer'
import { systemClock } from '../clock'
import type { AccessTokenInfo } from '../store/tokens'
import { findApplication, isClientTokenCurrent } from '../store/applications'
import { findActiveFlag } from '../store/users'

/** What the bearer check knows of a valid token, for the routes behind it. */
export type BearerAuth = Pick<AccessTokenInfo, 'clientId' | 'userId' | 'scope' | 'aud' | 'exp' | 'familyId'> & {
  /**
   * Set while D1 has yet to confirm that this grant still has this token (by its digest) as its
   * current access token: a user's token at a `grantInD1` route (a JWT read from its claims alone,
   * or an opaque one found by its record). The route's user check confirms it (./active-user.ts),
   * and the bearer middleware refuses a success that went unconfirmed. Null otherwise.
   */
  grantToConfirm: { id: string; accessHash: string } | null
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the bearer middleware for a valid access token. */
    auth: BearerAuth
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

const EXPIRED = { code: 'invalid_token', description: 'The access token has expired.' } as const

/**
 * A user's JWT read from its claims alone, for a route whose user check asks D1 about its grant
 * (`grantInD1`); undefined to read the token's record instead (not a JWT, or a client's own JWT,
 * which names no grant). The issuer is checked too: nothing but our key and our `iss` vouches for it.
 */
async function readUserJwt(c: Context<AppEnv>, token: string): Promise<BearerAuth | undefined> {
  if (!looksLikeJwt(token)) return undefined
  const claims = await readJwtClaims(token, () => signingKeys(c.env), systemClock, issuerUrl(c))
  if (claims === null) throw new BearerRefused(401, INVALID_TOKEN)
  if (claims === 'expired') throw new BearerRefused(401, EXPIRED)
  if (claims.grantId === null) return undefined
  const { clientId, userId, scope, aud, exp, grantId } = claims
  return {
    clientId,
    userId,
    scope,
    ...(aud && { aud }),
    exp,
    familyId: grantId,
    grantToConfirm: { id: grantId, accessHash: claims.hash },
  }
}

/**
 * The token's record (KV), and for a client's own token its application (D1): the check for every
 * token but a user's JWT at the API. With `grantInD1`, a user's token is also confirmed against its
 * grant in the route's D1 statement, as a JWT is: D1, not the record, has the last word, so a grant
 * revoked or rotated there (by plain SQL in the D1 console too) ends the token at once.
 */
async function readRecordedToken(c: Context<AppEnv>, token: string, grantInD1: boolean): Promise<BearerAuth> {
  const found = await accessTokensFor(c.env).read(token)
  if (found === null) throw new BearerRefused(401, INVALID_TOKEN)
  if (found === 'expired') throw new BearerRefused(401, EXPIRED)
  const { info } = found
  // A client_credentials token has no grant row that deleting its application could revoke, so it
  // lives as long as its application (as DOT's cascade has it) and its client secret: one D1
  // primary-key read, for these tokens only. A user's token is revoked with its grant instead.
  if (info.userId === null && !isClientTokenCurrent(await findApplication(c.get('db'), info.applicationId), info)) {
    throw new BearerRefused(401, INVALID_TOKEN)
  }
  const { clientId, userId, scope, aud, exp, familyId } = info
  const grantToConfirm = grantInD1 && userId !== null && familyId ? { id: familyId, accessHash: found.hash } : null
  return { clientId, userId, scope, ...(aud && { aud }), exp, familyId, grantToConfirm }
}

/**
 * Authenticates the request by its bearer token. Tokens are read from the Authorization header
 * only, never from the query (RFC 9700 §4.3.2) or the body: a token there alone counts as no
 * credentials, and besides the header it is 400 `invalid_request` (§2: "MUST NOT use more than
 * one method"), as is a malformed header. Without credentials: 401 with a bare challenge (§3.1);
 * an unknown, revoked or expired token: 401 `invalid_token`, as is (RFC 8707, RFC 9068 §4) a token
 * whose audience does not include `audience`, when given. A token without `aud` is for the
 * built-in API (it was requested without `resource`). With `grantInD1`, a user's JWT is not
 * looked up: the result's `grantToConfirm` is for the route's D1 statement to confirm.
 */
export async function authenticateBearer(
  c: Context<AppEnv>,
  audience?: string,
  grantInD1 = false,
): Promise<BearerAuth> {
  const token = readBearerToken(c.req.header('Authorization'))
  if (token !== null && (await hasTokenElsewhere(c))) {
    throw new BearerRefused(400, { code: 'invalid_request', description: TWO_METHODS })
  }
  if (token === 'malformed') throw new BearerRefused(400, { code: 'invalid_request', description: MALFORMED })
  if (token === null) throw new BearerRefused(401)
  const info = (grantInD1 && (await readUserJwt(c, token))) || (await readRecordedToken(c, token, grantInD1))
  // The audience rides in the token's record (or its claims): the check costs no storage.
  if (audience !== undefined && info.aud && !info.aud.includes(audience)) throw new BearerRefused(401, OTHER_AUDIENCE)
  return info
}

/**
 * What a route takes tokens for: `audience` gives its resource URI, and tokens for others are
 * refused. `grantInD1`: every answer of the route checks the token's user in D1 through
 * ./active-user.ts, so a user's JWT is read from its claims alone and its grant checked there.
 */
export type BearerOptions = { audience?: (c: Context<AppEnv>) => string; grantInD1?: boolean }

/**
 * Whether D1 still has the token's user active and its grant current: the check the routes make
 * in their own statement, on its own, for an answer that came before it (one primary-key read).
 */
async function grantStillCurrent(c: Context<AppEnv>, auth: BearerAuth): Promise<boolean> {
  if (auth.userId === null) return false
  return (await findActiveFlag(c.get('db'), { id: auth.userId, grant: auth.grantToConfirm }))?.isActive === true
}

/**
 * Middleware: authenticates the request by its bearer token and sets `c.get('auth')`. A user's
 * token at a `grantInD1` route is never honoured on its signature or its KV record alone: a
 * success whose grant the route never confirmed in D1 (a route that forgot its user check) is
 * refused, and a refusal that came first (a missing scope: 403) is checked here, so a revoked
 * token gets 401 `invalid_token`, whatever else is wrong with the request.
 */
export const bearerAuth = (options: BearerOptions = {}) =>
  createMiddleware<AppEnv>(async function bearerAuth(c, next) {
    c.set('auth', await authenticateBearer(c, options.audience?.(c), options.grantInD1))
    await next()
    const auth = c.get('auth')
    // A 401 is a refusal already (the route's own check, most often): nothing to add to it.
    if (auth.grantToConfirm === null || c.res.status === 401) return
    if (c.res.status >= 400 && (await grantStillCurrent(c, auth))) return
    // Drop the answer: hono would copy its headers (a 403's challenge) onto the refusal's.
    c.res = undefined as unknown as Response
    throw new BearerRefused(401, INVALID_TOKEN)
  })
