/**
 * @module Authorization server metadata (RFC 8414) and OpenID Provider metadata (OpenID Connect
 * Discovery 1.0), one document at every place a client may look for it, plus the JWKS. Everything
 * listed works, and everything that works is listed (test/oauth/discovery.test.ts checks both).
 */
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'
import { readSettings, SCOPES } from '../config'
import { ID_TOKEN_ALG, signingKeys } from '../oidc/keys'
import { USERINFO_CLAIMS } from './userinfo'
import { registeredGrantTypes } from '../grants/registry'
import { CODE_CHALLENGE_METHODS } from '../oauth/pkce'
import { issuerUrl } from '../oauth/issuer'
import { registrationPolicy } from '../oauth/clients'
import { ASSERTION_ALGS } from '../auth/client-assertion'

// private_key_jwt: RFC 7523 §2.2, with a key the client registered (src/auth/client-assertion.ts).
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt']

/** The claims an id_token carries (id-token.ts) and those the UserInfo endpoint releases. */
const CLAIMS = [...new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', ...USERINFO_CLAIMS])]

/** The metadata document. Arrays with no member are left out (RFC 8414 §3.2). */
export function serverMetadata(c: Context<AppEnv>) {
  const issuer = issuerUrl(c)
  // RFC 9700 §2.4: the password grant can be switched off, and then it is not advertised.
  const grantTypes = registeredGrantTypes(readSettings(c.env))
  return {
    issuer,
    authorization_endpoint: `${issuer}/o/authorize/`,
    token_endpoint: `${issuer}/o/token/`,
    userinfo_endpoint: `${issuer}/o/userinfo/`,
    jwks_uri: `${issuer}/o/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}/o/revoke_token/`,
    introspection_endpoint: `${issuer}/o/introspect/`,
    // RFC 7591: advertised unless the CLIENT_REGISTRATION policy is "off".
    ...(registrationPolicy(c) !== 'off' && { registration_endpoint: `${issuer}/o/register/` }),
    scopes_supported: Object.keys(SCOPES),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: grantTypes,
    // "none": a public client identifies itself by client_id alone, and must use PKCE.
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    // Besides these, a bearer token with the `introspection` scope (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    // draft-ietf-oauth-client-id-metadata-document: an https client_id names the client's metadata document.
    client_id_metadata_document_supported: true,
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ID_TOKEN_ALG],
    claims_supported: CLAIMS,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    // OpenID Connect Discovery §3: this one defaults to true, so it must be said.
    request_uri_parameter_supported: false,
  }
}

// Public documents, fetched by browser-based clients too: any origin may read them (RFC 9700 §2.6).
const CACHE = { 'Cache-Control': 'public, max-age=300' }

export const discoveryRoutes = new Hono<AppEnv>()

const METADATA_PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  // Where django-oauth-toolkit serves it; the document names the real issuer.
  '/o/.well-known/openid-configuration',
]
for (const path of METADATA_PATHS) {
  discoveryRoutes.use(path, cors({ origin: '*', allowMethods: ['GET'] }))
  discoveryRoutes.get(path, (c) => c.json(serverMetadata(c), 200, CACHE))
}

discoveryRoutes.use('/o/.well-known/jwks.json', cors({ origin: '*', allowMethods: ['GET'] }))
discoveryRoutes.get('/o/.well-known/jwks.json', async (c) =>
  c.json({ keys: (await signingKeys(c.env)).jwks }, 200, CACHE),
)
