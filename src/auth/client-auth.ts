/**
 * @module Client authentication for the token, revocation and introspection endpoints
 * (RFC 6749 §2.3): HTTP Basic, `client_id`/`client_secret` in the form body, or a signed client
 * assertion (private_key_jwt, RFC 7523 §2.2; client-assertion.ts), never two at once.
 */
import type { Context } from 'hono'
import { decodeBase64 } from '@oslojs/encoding'
import type { AppEnv } from '../env'
import { OAuthError } from '../errors'
import { safeEqual } from '../crypto/compare'
import { sha256Hex } from '../crypto/token'
import type { Application } from '../store/applications'
import { findClient } from '../oauth/clients'
import { DocumentError } from '../oauth/document-fetch'
import { AssertionRefused, assertionClientId, JWT_BEARER_ASSERTION, verifyClientAssertion } from './client-assertion'

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by authenticateClient for the client that authenticated (token, revoke, introspect). */
    client: Application
  }
}

type Method = 'basic' | 'body' | 'none' | 'assertion'

/**
 * Credentials as the client presented them; `secret` is null when none was sent. With `assertion`,
 * `secret` is the client_assertion JWT and `clientId` the client it names.
 */
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
  if (form.has('client_assertion') || form.has('client_assertion_type')) return readAssertion(form, header)
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

/** RFC 7523 §2.2 / RFC 7521 §4.2: a client assertion, alone, of the JWT bearer type. */
function readAssertion(form: URLSearchParams, header: string | undefined): ClientCredentials {
  if (form.has('client_secret') || (header && /^basic\b/i.test(header))) {
    throw new OAuthError('invalid_request', 'The client must use only one authentication method.')
  }
  const assertion = form.get('client_assertion')
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION || !assertion) throw invalidClient()
  const clientId = assertionClientId(assertion)
  // RFC 7521 §4.2: a client_id sent beside the assertion must name the same client.
  if (!clientId || (form.has('client_id') && form.get('client_id') !== clientId)) throw invalidClient()
  return { method: 'assertion', clientId, secret: assertion }
}

/** The client by its id (a row, or a metadata document); a document that cannot be used counts as no client. */
async function findAuthenticatingClient(c: Context<AppEnv>, clientId: string): Promise<Application | undefined> {
  try {
    return await findClient(c, clientId)
  } catch (err) {
    if (err instanceof DocumentError) return undefined
    throw err
  }
}

/**
 * Authenticates the client: a confidential client must present its secret, compared by digest
 * in constant time, or, when it registered private_key_jwt, a client assertion signed with its
 * key; a public client identifies itself by client_id alone.
 */
export async function authenticateClient(c: Context<AppEnv>, creds: ClientCredentials): Promise<Application> {
  if (!creds.clientId) throw invalidClient()
  return admitClient(c, await findAuthenticatingClient(c, creds.clientId), creds)
}

/**
 * authenticateClient's check of the credentials against the client's row, for a caller that read
 * the row itself (the refresh grant reads it in its one D1 batch); undefined: no such client.
 */
export async function admitClient(
  c: Context<AppEnv>,
  app: Application | undefined,
  creds: ClientCredentials,
): Promise<Application> {
  // Hashed whether or not the client exists, so an unknown client_id answers no faster than a wrong secret.
  const presented = sha256Hex(creds.method === 'assertion' ? '' : (creds.secret ?? ''))
  if (!app) throw invalidClient()
  const usesAssertion = app.tokenEndpointAuthMethod === 'private_key_jwt'
  if (usesAssertion !== (creds.method === 'assertion')) throw invalidClient()
  if (usesAssertion) {
    try {
      await verifyClientAssertion(c, app, creds.secret!)
    } catch (err) {
      if (err instanceof AssertionRefused) throw invalidClient()
      throw err
    }
    c.set('client', app)
    return app
  }
  if (app.clientType === 'public') {
    if (creds.secret) throw invalidClient()
  } else if (creds.secret === null || !app.clientSecretHash || !safeEqual(presented, app.clientSecretHash)) {
    throw invalidClient()
  }
  c.set('client', app)
  return app
}
