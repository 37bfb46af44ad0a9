/**
 * @module Opaque tokens, asked about at the authorization server's introspection endpoint
 * (RFC 7662), through a Service Binding to it. The resource server authenticates as a confidential
 * client with HTTP Basic (RFC 6749 §2.3.1: id and secret form-encoded before base64).
 */
import { AccessTokenRefused } from './challenge'
import type { FetcherLike } from './issuer'

/** How to reach the introspection endpoint, and as which client. */
export type IntrospectionOptions = {
  /** A Service Binding to the authorization server's Worker (or any `{ fetch }`). */
  service: FetcherLike
  clientId: string
  clientSecret: string
  /** Default: the issuer metadata's `introspection_endpoint`. */
  endpoint?: string
}

/** The members of an RFC 7662 §2.2 answer this kit reads. */
export type IntrospectionAnswer = {
  active: boolean
  scope?: string
  client_id?: string
  username?: string
  sub?: string
  aud?: string | string[]
  iss?: string
  exp?: number
  iat?: number
}

const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')

/** The answer for `token`; an unreachable server or one refusing our credentials is a 503 for the caller. */
export async function introspect(options: IntrospectionOptions, endpoint: string, token: string) {
  const basic = btoa(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`)
  let response: Response
  try {
    response = await options.service.fetch(endpoint, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    })
  } catch {
    throw new AccessTokenRefused(503, 'temporarily_unavailable', 'The authorization server is unreachable.')
  }
  const body = (await response.json().catch(() => null)) as IntrospectionAnswer | null
  if (!response.ok || typeof body?.active !== 'boolean') {
    throw new AccessTokenRefused(503, 'temporarily_unavailable', 'The authorization server is unreachable.')
  }
  return body
}
