/**
 * @module What a grant type is to the token endpoint: the parameters it requires, which clients
 * may use it, and how it issues. The endpoint checks the first two centrally (./registry.ts), in
 * DOT's order: a missing parameter is `invalid_request` before a client that may not use the
 * grant is `unauthorized_client` (RFC 6749 §5.2).
 */
import type { Context } from 'hono'
import type { Settings } from '../config'
import type { AppEnv } from '../env'
import { OAuthError } from '../errors'
import type { TokenDeps } from '../tokens/deps'
import type { TokenResponse } from '../tokens/service'
import { requireParam } from '../oauth/form'
import type { ResourceUris } from '../oauth/resources'
import type { Application } from '../store/applications'
import type { ClientCredentials } from '../auth/client-auth'

/** One token request, after the grant's parameters and the client have been checked. */
export type GrantRequest<P extends string = string> = {
  c: Context<AppEnv>
  deps: TokenDeps
  form: URLSearchParams
  /** The authenticated client, allowed to use this grant. */
  app: Application
  /** The required parameters' values, each non-empty. */
  params: Record<P, string>
  /** The `resource` parameters (RFC 8707), well-formed but not yet looked up; null when none was sent. */
  resources: ResourceUris
  /** The built-in API's resource URI: what a request without `resource` is for. */
  apiUri: string
}

/** A `grant_type`'s handler and what it accepts. */
export type GrantHandler<P extends string = string> = {
  /** Parameters checked in this order; a missing one is `invalid_request` with `message` (else DOT's). */
  required: readonly { name: P; message?: string }[]
  /** The applications (by their registered `authorization_grant_type`) that may use this grant. */
  applicationGrantTypes: readonly Application['authorizationGrantType'][]
  /** The client types (RFC 6749 §2.1) that may use this grant. */
  clientTypes: readonly Application['clientType'][]
  /** Whether the deployment offers the grant at all (else `unsupported_grant_type`); always when absent. */
  enabled?: (settings: Settings) => boolean
  issue(request: GrantRequest<P>): Promise<TokenResponse>
  /**
   * Replaces the endpoint's client read and `issue`, for a grant that reads the client's row in its
   * own storage round trip (the refresh grant's one D1 batch); it then calls `admit` with the row.
   */
  issueAdmitting?(request: AdmittingGrantRequest): Promise<TokenResponse>
}

/** What the endpoint's checks give a grant: the client, its required parameters, its `resource`s. */
export type AdmittedRequest = Pick<GrantRequest, 'app' | 'params' | 'resources'>

/** A token request whose client is not yet authenticated: `admit` or `authenticate` does that. */
export type AdmittingGrantRequest = {
  c: Context<AppEnv>
  deps: TokenDeps
  form: URLSearchParams
  apiUri: string
  /** The credentials as the client presented them, not yet checked. */
  creds: ClientCredentials
  /**
   * Authenticates the client from the row the grant read itself (undefined: none) by a secret or
   * as a public client, then runs the endpoint's checks in their order.
   */
  admit(row: Application | undefined): Promise<AdmittedRequest>
  /** The endpoint's own way: reads the client (any registration, any method), then the same checks. */
  authenticate(): Promise<AdmittedRequest>
}

/** Declares a grant, keeping its parameter names typed in `issue`. */
export const defineGrant = <P extends string>(grant: GrantHandler<P>): GrantHandler => grant as GrantHandler

/**
 * The grant's required parameters, then whether `app` may use it: `invalid_request` for the first
 * missing parameter, then `unauthorized_client` (RFC 6749 §5.2).
 */
export function checkGrantRequest(
  grant: GrantHandler,
  form: URLSearchParams,
  app: Application,
): Record<string, string> {
  const params: Record<string, string> = {}
  for (const { name, message } of grant.required) params[name] = requireParam(form, name, message)
  if (
    !grant.applicationGrantTypes.includes(app.authorizationGrantType) ||
    !grant.clientTypes.includes(app.clientType)
  ) {
    throw new OAuthError('unauthorized_client')
  }
  return params
}
