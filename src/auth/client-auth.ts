/**
 * @module Client authentication for the token, revocation and introspection endpoints
 * (RFC 6749 §2.3): HTTP Basic or `client_id`/`client_secret` in the form body, never both.
 */
import type { Context } from 'hono'
import { decodeBase64 } from '@oslojs/encoding'
import type { AppEnv } from '../env'
import { OAuthError } from '../errors'
import { safeEqual } from '../crypto/compare'
import { sha256Hex } from '../crypto/token'
import { type Application, findApplicationByClientId } from '../store/applications'

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by authenticateClient for the client that authenticated (token, revoke, introspect). */
    client: Application
  }
}

type Method = 'basic' | 'body' | 'none'

/** Credentials as the client presented them; `secret` is null when none was sent. */
export type ClientCredentials = { method: Method; clientId: string | null; secret: string | null }

const BASIC_CHALLENGE = 'Basic realm="oauth"'

/**
 * RFC 6749 §5.2: 401 invalid_client. The challenge names Basic, the scheme this server takes
 * client credentials in, whichever way the client tried (§5.2 requires it to match when the
 * client used the Authorization header; an HTTP 401 always carries a challenge).
 */
export const invalidClient = () =>
  new OAuthError('invalid_client', undefined, 401, { 'WWW-Authenticate': BASIC_CHALLENGE })

function decodeBasic(header: string): { clientId: string; secret: string } | null {
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header)
  if (!m) return null
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(decodeBase64(m[1]!))
    const colon = decoded.indexOf(':')
    if (colon < 0) return null
    // §2.3.1: both parts are form-urlencoded before being joined.
    const form = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
    return { clientId: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

/** Reads the credentials a client sent, rejecting two methods at once (§2.3). */
export function readClientCredentials(c: Context<AppEnv>, form: URLSearchParams): ClientCredentials {
  const header = c.req.header('Authorization')
  const inBody = form.has('client_id') || form.has('client_secret')
  if (header && /^basic\b/i.test(header)) {
    if (inBody && form.has('client_secret')) {
      throw new OAuthError('invalid_request', 'The client must use only one authentication method.')
    }
    const basic = decodeBasic(header)
    if (!basic) throw invalidClient()
    if (form.has('client_id') && form.get('client_id') !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.')
    }
    return { method: 'basic', clientId: basic.clientId, secret: basic.secret }
  }
  if (inBody) return { method: 'body', clientId: form.get('client_id'), secret: form.get('client_secret') }
  return { method: 'none', clientId: null, secret: null }
}

/**
 * Authenticates the client: a confidential client must present its secret, compared by digest
 * in constant time; a public client identifies itself by client_id alone.
 */
export async function authenticateClient(c: Context<AppEnv>, creds: ClientCredentials): Promise<Application> {
  if (!creds.clientId) throw invalidClient()
  return admitClient(c, await findApplicationByClientId(c.get('db'), creds.clientId), creds)
}

/** authenticateClient's check, for a caller that read the client's row itself (the refresh grant's one D1 batch). */
export function admitClient(c: Context<AppEnv>, app: Application | undefined, creds: ClientCredentials): Application {
  const presented = sha256Hex(creds.secret ?? '')
  if (!app) throw invalidClient()
  if (app.clientType === 'public') {
    if (creds.secret) throw invalidClient()
  } else if (creds.secret === null || !app.clientSecretHash || !safeEqual(presented, app.clientSecretHash)) {
    throw invalidClient()
  }
  c.set('client', app)
  return app
}
