/**
 * @module `requireAccessToken`: the Hono middleware another Worker puts in front of its routes.
 * A JWT access token (RFC 9068) is verified locally against the issuer's JWKS; any other token is
 * opaque and is asked about through a Service Binding to the authorization server (RFC 7662), when
 * one is configured. Either way the token must be meant for this resource (`aud`, RFC 8707) and
 * carry the route's scopes; refusals answer RFC 6750 §3 challenges naming this resource's RFC 9728
 * document.
 */
import type { MiddlewareHandler } from 'hono'
import { errors, jwtVerify } from 'jose'
import { readBearerToken } from '../http/bearer-token'
import { AccessTokenRefused, refusalResponse } from './challenge'
import { introspect, type IntrospectionAnswer, type IntrospectionOptions } from './introspection'
import { type FetcherLike, type KeyResolver, issuerKeys, issuerMetadata } from './issuer'
import { resourceMetadataUrl, type ResourceMetadataOptions } from './metadata'

/** What a verified token tells the route, as `c.get('accessToken')`. */
export type VerifiedAccessToken = {
  format: 'jwt' | 'opaque'
  /** The user's id, or the client's for a client_credentials token. */
  subject: string | undefined
  clientId: string | undefined
  /** Only introspection reports it; a JWT carries the user's id alone (`subject`). */
  username: string | undefined
  scopes: string[]
  audience: string[]
  expiresAt: number | undefined
  /** The JWT's claims or the introspection answer, as received. */
  claims: Record<string, unknown>
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `requireAccessToken` for a token this resource accepts. */
    accessToken: VerifiedAccessToken
  }
}

export type RequireAccessTokenOptions = ResourceMetadataOptions & {
  /** Where the issuer's keys are; default: `jwks_uri` from its RFC 8414 metadata. */
  jwksUri?: string
  /** How to reach the issuer for metadata and keys; default: the introspection service, else the global fetch. */
  fetcher?: FetcherLike
  /** Opaque tokens: a Service Binding to the authorization server and this resource's client credentials. */
  introspection?: IntrospectionOptions
  /** Leeway for `exp`/`iat`, in seconds (default 0). */
  clockToleranceSeconds?: number
  /**
   * Take tokens that act for no user (the client credentials grant: a client on its own behalf).
   * Default false: anyone able to register a client (RFC 7591 open registration, or the application
   * pages) gets such a token for any resource with all its scopes, no user ever consenting.
   */
  acceptClientTokens?: boolean
}

/** RFC 9068 §4: asymmetric signatures only (a JWKS publishes public keys; `none` and HMAC are refused). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
/** RFC 9068 §2.2: the claims every JWT access token has. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']

const INVALID = 'The access token is invalid.'
const EXPIRED = 'The access token has expired.'
const OTHER_AUDIENCE = 'The access token is not meant for this resource.'
const NO_USER = 'The access token acts for no user.'
const invalidToken = (description = INVALID) => new AccessTokenRefused(401, 'invalid_token', description)

const scopeList = (scope: unknown): string[] => (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [])
const audienceList = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : []
const asString = (v: unknown) => (typeof v === 'string' ? v : undefined)
const asNumber = (v: unknown) => (typeof v === 'number' ? v : undefined)

/** A JWS compact serialization has three dot-separated parts (RFC 7515 §7.1); opaque tokens here have none. */
const looksLikeJwt = (token: string) => token.split('.').length === 3

/** Keeps the issuer's metadata and keys for as long as the middleware lives (module scope, usually). */
function issuerState(options: () => RequireAccessTokenOptions) {
  const fetcher = (): FetcherLike =>
    options().fetcher ?? options().introspection?.service ?? { fetch: (input, init) => fetch(input, init) }
  const metadata = issuerMetadata(options().issuer, fetcher)
  const jwksUri = async () => {
    const uri = options().jwksUri ?? (await metadata.get()).jwks_uri
    if (!uri) throw new AccessTokenRefused(503, 'temporarily_unavailable', 'The issuer publishes no keys.')
    return uri
  }
  const introspectionEndpoint = async (intro: IntrospectionOptions) => {
    const endpoint = intro.endpoint ?? (await metadata.get()).introspection_endpoint
    if (!endpoint) throw invalidToken()
    return endpoint
  }
  return { keys: issuerKeys(jwksUri, fetcher), introspectionEndpoint }
}

/**
 * Whether a token acts for the client alone: RFC 9068 §2.2 makes a client credentials JWT's `sub`
 * the client's identifier, and introspection (RFC 7662 §2.2) names no `sub` for it.
 */
const actsForNoUser = (token: VerifiedAccessToken): boolean =>
  token.subject === undefined || token.subject === token.clientId

async function verifyJwt(token: string, keys: KeyResolver, o: RequireAccessTokenOptions): Promise<VerifiedAccessToken> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: o.issuer,
      audience: o.audience,
      typ: 'at+jwt',
      algorithms: ALGORITHMS,
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: o.clockToleranceSeconds ?? 0,
    })
    return {
      format: 'jwt',
      subject: payload.sub,
      clientId: asString(payload.client_id),
      username: undefined,
      scopes: scopeList(payload.scope),
      audience: audienceList(payload.aud),
      expiresAt: payload.exp,
      claims: payload,
    }
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw invalidToken(EXPIRED)
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') throw invalidToken(OTHER_AUDIENCE)
    // Bad signature, unknown key, wrong typ/iss/alg, a missing claim, not a JWT at all: one answer.
    if (error instanceof errors.JOSEError) throw invalidToken()
    throw error
  }
}

async function verifyOpaque(
  token: string,
  intro: IntrospectionOptions,
  endpoint: string,
  o: RequireAccessTokenOptions,
): Promise<VerifiedAccessToken> {
  const answer: IntrospectionAnswer = await introspect(intro, endpoint, token)
  if (!answer.active) throw invalidToken()
  if (answer.iss !== undefined && answer.iss !== o.issuer) throw invalidToken()
  const exp = asNumber(answer.exp)
  if (exp !== undefined && exp <= Date.now() / 1000 - (o.clockToleranceSeconds ?? 0)) throw invalidToken(EXPIRED)
  // RFC 8707 §2 / RFC 9068 §4: a token without an audience could be meant for anyone; it is refused.
  const audience = audienceList(answer.aud)
  if (!audience.includes(o.audience)) throw invalidToken(OTHER_AUDIENCE)
  return {
    format: 'opaque',
    subject: asString(answer.sub),
    clientId: asString(answer.client_id),
    username: asString(answer.username),
    scopes: scopeList(answer.scope),
    audience,
    expiresAt: exp,
    claims: answer,
  }
}

/**
 * Middleware: lets a request through only with a valid access token for `audience` carrying every
 * one of `scopes`, and sets `c.get('accessToken')`. Options may be a function of the Worker's env,
 * for Service Bindings and secrets. Tokens are read from the Authorization header only (RFC 9700
 * §4.3.2 keeps them out of URLs). Answers: no token 401 (a bare challenge, RFC 6750 §3.1), a
 * malformed header 400 `invalid_request`, a bad, expired or other-audience token 401
 * `invalid_token`, missing scopes 403 `insufficient_scope` naming them, the issuer unreachable 503.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 * @example
 * app.use('/mcp', requireAccessToken({ issuer: 'https://auth.example.com', audience: 'https://mcp.example.com/mcp' }))
 */
export function requireAccessToken<Bindings extends object = object>(
  options: RequireAccessTokenOptions | ((env: Bindings) => RequireAccessTokenOptions),
): MiddlewareHandler<{ Bindings: Bindings }> {
  let current = typeof options === 'function' ? undefined : options
  let state: ReturnType<typeof issuerState> | undefined
  return async function requireAccessToken(c, next) {
    if (typeof options === 'function') current = options(c.env)
    const o = current!
    state ??= issuerState(() => current!)
    const metadataUrl = resourceMetadataUrl(o.audience)
    try {
      const token = readBearerToken(c.req.header('Authorization'))
      if (token === null) throw new AccessTokenRefused(401)
      if (token === 'malformed')
        throw new AccessTokenRefused(400, 'invalid_request', 'The Authorization header is malformed.')
      let verified: VerifiedAccessToken
      if (looksLikeJwt(token)) verified = await verifyJwt(token, state.keys, o)
      else if (o.introspection)
        verified = await verifyOpaque(token, o.introspection, await state.introspectionEndpoint(o.introspection), o)
      else throw invalidToken()
      if (!o.acceptClientTokens && actsForNoUser(verified)) throw invalidToken(NO_USER)
      const missing = (o.scopes ?? []).filter((s) => !verified.scopes.includes(s))
      if (missing.length) {
        const description = 'The access token lacks a scope this resource needs.'
        throw new AccessTokenRefused(403, 'insufficient_scope', description, (o.scopes ?? []).join(' '))
      }
      c.set('accessToken', verified)
    } catch (error) {
      if (error instanceof AccessTokenRefused) return refusalResponse(error, metadataUrl)
      throw error
    }
    await next()
  }
}
