/**
 * @module The introspection endpoint, `POST /o/introspect/` (RFC 7662). Checks run in this order:
 * form → caller authentication → `token` present → lookup.
 *
 * Who may ask: a confidential client, by its credentials, or anyone holding a bearer token with
 * the `introspection` scope (which only the client_credentials grant hands out), unless that token
 * was asked for other resources only (RFC 8707). Either may ask
 * about any client's access tokens: that is what resource servers need (§1), as in DOT (step 128).
 * A public client cannot authenticate, so it may not introspect (§4).
 *
 * What is reported: live access tokens only. A refresh token is `{"active": false}`, as in DOT: it
 * is never a credential for a resource server, and one that checks only `active` must not accept it.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { authenticateBearer, BearerRefused, readBearerToken } from '../auth/bearer'
import { authenticateClient, invalidClient, readClientCredentials } from '../auth/client-auth'
import { tokenDepsFor } from '../tokens/deps'
import { findToken, isCurrentAccessToken } from '../tokens/lookup'
import { readOAuthForm, requireParam } from '../oauth/form'
import { scopeSet } from '../oauth/scopes'
import { apiResourceUri } from '../oauth/resources'
import type { AccessTokenInfo } from '../store/tokens'

/**
 * §2.1: the caller must be authorized. A bad bearer token is refused as RFC 6750 §3 says, and a
 * token without `introspection` likewise with 401 (§2.3 names 401 for both); bad or missing
 * client credentials are 401 `invalid_client` with a Basic challenge (RFC 6749 §5.2).
 */
async function authenticateCaller(c: Context<AppEnv>, form: URLSearchParams): Promise<void> {
  if (readBearerToken(c.req.header('Authorization')) !== null) {
    // RFC 8707: a token asked for other resources only is theirs; taken here, any of them could
    // replay a client's `introspection` token to read every token's owner and scope.
    const info = await authenticateBearer(c, apiResourceUri(c))
    c.set('auth', info)
    if (!scopeSet(info.scope).has('introspection')) {
      const description = 'The access token lacks the introspection scope.'
      throw new BearerRefused(401, { code: 'insufficient_scope', description, scope: 'introspection' })
    }
    return
  }
  const app = await authenticateClient(c, readClientCredentials(c, form))
  if (app.clientType !== 'confidential') throw invalidClient()
}

/**
 * §2.2: the members this server knows for an active token; `sub` and `username` only for a user's.
 * `aud` (RFC 8707) is the resource the token is for, or the list of them; a token requested without
 * `resource` is for the built-in API.
 */
function describe(info: AccessTokenInfo, apiUri: string) {
  const aud = info.aud ?? [apiUri]
  return {
    active: true,
    scope: info.scope,
    client_id: info.clientId,
    ...(info.userId !== null && { username: info.username ?? '', sub: String(info.userId) }),
    aud: aud.length === 1 ? aud[0]! : aud,
    token_type: 'Bearer',
    exp: info.exp,
    iat: info.iat,
  }
}

export const introspectRoutes = new Hono<AppEnv>()

introspectRoutes.post('/o/introspect/', async function introspectionEndpoint(c) {
  const form = await readOAuthForm(c)
  await authenticateCaller(c, form)
  const token = requireParam(form, 'token', 'Missing token parameter.')
  const deps = tokenDepsFor(c.env, c.get('db'))
  const found = await findToken(deps, token, form.get('token_type_hint'))
  // §2.2: anything but a live access token is {"active": false}, with no other member.
  const live = found?.type === 'access_token' && (await isCurrentAccessToken(deps, found)) ? found.info : null
  return c.json(live ? describe(live, apiResourceUri(c)) : { active: false }, 200, NO_STORE)
})

// §2.1: the protected resource calls the endpoint with POST (DOT 1.7 also answers GET).
introspectRoutes.all('/o/introspect/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
