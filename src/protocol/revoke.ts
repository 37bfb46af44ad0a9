/**
 * @module The revocation endpoint, `POST /o/revoke_token/` (RFC 7009). Checks run in this order:
 * form → client authentication → `token` present → lookup. The answer is 200 with an empty body
 * whether or not anything was revoked (§2.2), so it reveals nothing about the token.
 *
 * What a revocation takes with it:
 * - a refresh token: its whole grant (token family), so its access token too (§2.1 SHOULD);
 * - a user's access token that is still its grant's current one: the whole grant as well (§2.1
 *   MAY): a client revokes a token to end the access it stands for, and a refresh token left alive
 *   would bring it straight back; one a refresh already replaced: just itself (it is refused
 *   everywhere already, and must not end the tokens that replaced it);
 * - a client_credentials access token: just itself.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { log } from '../log'
import { authenticateClient, readClientCredentials } from '../auth/client-auth'
import { tokenDepsFor } from '../tokens/deps'
import { findToken } from '../tokens/lookup'
import { revokeToken } from '../tokens/service'
import { readOAuthForm, requireParam } from '../oauth/form'

export const revokeRoutes = new Hono<AppEnv>()

revokeRoutes.post('/o/revoke_token/', async function revocationEndpoint(c) {
  const form = await readOAuthForm(c)
  const app = await authenticateClient(c, readClientCredentials(c, form))
  const token = requireParam(form, 'token', 'Missing token parameter.')
  const deps = tokenDepsFor(c.env, c.get('db'))
  const found = await findToken(deps, token, form.get('token_type_hint'))
  // §2.1: the server first checks that the token was issued to the client asking. Another
  // client's token is left alone, with the same 200 an unknown token gets (DOT 1.7 revokes it).
  const own = found !== null && found.info.applicationId === app.id
  if (own) await revokeToken(deps, found)
  log(c, 'info', { event: 'revocation', revoked: own, tokenType: own ? found.type : null })
  return c.body(null, 200, NO_STORE)
})

// §2.1: the client requests revocation with POST.
revokeRoutes.all('/o/revoke_token/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))
