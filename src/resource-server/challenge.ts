/**
 * @module The resource server's refusals (RFC 6750 §3): a status, an error code, and the
 * `WWW-Authenticate: Bearer` challenge that points the client at this resource's RFC 9728 document
 * (RFC 9728 §5.1), which is how an MCP client finds the authorization server.
 */

/** The RFC 6750 §3.1 error codes, and 503 when the authorization server could not be asked. */
export type RefusalCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable'

/** Why a request was refused. No `code`: it carried no credentials at all (§3.1: no error attribute). */
export class AccessTokenRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    readonly code?: RefusalCode,
    readonly description?: string,
    /** For 403 insufficient_scope: every scope the route needs (MCP's step-up reads it). */
    readonly scope?: string,
  ) {
    super(code ?? 'no credentials')
    this.name = 'AccessTokenRefused'
  }
}

/** The challenge: each attribute a quoted-string (RFC 7235 §2.1); values here never hold `"` or `\`. */
export function challenge(refusal: AccessTokenRefused, resourceMetadataUrl: string): string {
  const attributes: [string, string | undefined][] = [
    ['error', refusal.code === 'temporarily_unavailable' ? undefined : refusal.code],
    ['error_description', refusal.description],
    ['scope', refusal.scope],
    ['resource_metadata', resourceMetadataUrl],
  ]
  const present = attributes.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${v}"`)
  return `Bearer ${present.join(', ')}`
}

/**
 * The response: RFC 6749 §5.2-style JSON (`error`, `error_description`) with the challenge, never
 * cached. A 503 carries no challenge: the token may be fine, the authorization server was not reachable.
 */
export function refusalResponse(refusal: AccessTokenRefused, resourceMetadataUrl: string): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }
  if (refusal.status === 503) headers['Retry-After'] = '5'
  else headers['WWW-Authenticate'] = challenge(refusal, resourceMetadataUrl)
  const body = refusal.code
    ? { error: refusal.code, ...(refusal.description && { error_description: refusal.description }) }
    : { error: 'invalid_request', error_description: 'No access token was sent.' }
  return new Response(JSON.stringify(body), { status: refusal.status, headers })
}
