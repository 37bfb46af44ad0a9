/**
 * @module The two wire formats for errors, and the one place each is rendered.
 * OAuth endpoints answer RFC 6749 §5.2 bodies; the API answers DRF's `{"detail": …}`; each surface's
 * onError (src/protocol, src/api, src/web) renders them.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from './env'
import { log } from './log'

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 8707 §2: a `resource` that is unknown, malformed, or not one the grant was given for.
  | 'invalid_target'
  // OpenID Connect Core §3.1.2.6, for prompt=none.
  | 'login_required'
  | 'consent_required'
  // RFC 7591 §3.2.2, for client registration.
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'

/** RFC 6749 §5.2 error. `description` goes on the wire: never put a secret or token in it. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description?: string,
    readonly status: ContentfulStatusCode = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description ?? code)
    this.name = 'OAuthError'
  }
}

/** DRF-style API error: `{"detail": …}` with the given status and headers. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'ApiError'
  }
}

/** DRF's field validation error: `{"field": ["message", …]}` with 400. */
export class ValidationError extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super('validation failed')
    this.name = 'ValidationError'
  }
}

/** RFC 6749 §5.1: token responses, errors included, must not be cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const

/** Renders an OAuthError as RFC 6749 §5.2 JSON. */
export function oauthErrorResponse(c: Context, err: OAuthError): Response {
  const body: Record<string, string> = { error: err.code }
  if (err.description) body.error_description = err.description
  return c.json(body, err.status, { ...NO_STORE, ...err.headers })
}

/** Storage (D1 or KV) failed or timed out: the request can be retried. */
export class StorageUnavailable extends Error {
  constructor(cause: unknown) {
    super('storage unavailable', { cause })
    this.name = 'StorageUnavailable'
  }
}

/** Whether the error, or one it wraps (drizzle wraps driver errors), is a storage outage. */
function isStorageFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StorageUnavailable) return true
  }
  return false
}

/** A request body over MAX_BODY_BYTES, refused unread: each surface answers 413 in its own format. */
export class BodyTooLarge extends Error {
  constructor() {
    super('request body too large')
    this.name = 'BodyTooLarge'
  }
}

/** How an error no surface expected is answered: 503 (retry) when storage failed, else 500. */
export type ServerFailure = { unavailable: boolean; status: 500 | 503; headers: Record<string, string> }

/**
 * The deployment is misconfigured (a secret missing or unusable): a 500 whose `event` and `reason`
 * are logged as they are, so they must name what is wrong and never hold key material or input.
 */
export class ConfigurationError extends Error {
  constructor(
    readonly event: string,
    readonly reason: string,
  ) {
    super(reason)
    this.name = 'ConfigurationError'
  }
}

/**
 * Logs an error no surface expected (its class only; a ConfigurationError with its reason) and says
 * how to answer it; each surface words the body.
 */
export function serverFailure(c: Context<AppEnv>, err: Error): ServerFailure {
  if (err instanceof ConfigurationError) {
    log(c, 'error', { event: err.event, reason: err.reason })
    return { unavailable: false, status: 500, headers: {} }
  }
  const unavailable = isStorageFailure(err)
  // Log the error's class only: a message from a binding may echo a statement's parameters.
  log(c, 'error', { event: unavailable ? 'storage_unavailable' : 'unhandled_error', error: err.name })
  return unavailable
    ? { unavailable, status: 503, headers: { 'Retry-After': '1' } }
    : { unavailable, status: 500, headers: {} }
}
