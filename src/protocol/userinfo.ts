/**
 * @module The UserInfo endpoint, `GET|POST /o/userinfo/` (OpenID Connect Core §5.3): claims about
 * the token's user, by scope (§5.4): `sub` always, `profile` → names and username, `email` → email.
 * Needs a bearer token with `openid`; refusals are RFC 6750 §3 challenges with JSON bodies.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { NO_STORE } from '../errors'
import { type User, userSeenBy } from '../store/users'
import { bearerAuth } from '../auth/bearer'
import { refuseUnlessActive, tokenActor } from '../auth/active-user'
import { requireScopes } from '../auth/scopes'
import { scopeSet } from '../oauth/scopes'
import { apiResourceUri } from '../oauth/resources'

/** The claims `scope` releases about `user`; empty values are left out rather than sent blank. */
function userClaims(user: User, scope: string): Record<string, string | boolean> {
  const scopes = scopeSet(scope)
  const claims: Record<string, string | boolean> = { sub: String(user.id) }
  if (scopes.has('profile')) {
    claims.preferred_username = user.username
    const name = `${user.firstName} ${user.lastName}`.trim()
    if (name) claims.name = name
    if (user.firstName) claims.given_name = user.firstName
    if (user.lastName) claims.family_name = user.lastName
  }
  if (scopes.has('email') && user.email) {
    claims.email = user.email
    // Nothing here verifies addresses, so none is claimed to be verified.
    claims.email_verified = false
  }
  return claims
}

/** Every claim userClaims can release, for the discovery document's `claims_supported`. */
export const USERINFO_CLAIMS = [
  'sub',
  'preferred_username',
  'name',
  'given_name',
  'family_name',
  'email',
  'email_verified',
]

export const userinfoRoutes = new Hono<AppEnv>()

/**
 * RFC 8707 §2 / RFC 9068 §4: a token asked for other resources only (`resource`) is theirs; taken
 * here, any such resource server could replay it to read what the user gave the client. The
 * endpoint is this server's, as the built-in API is: tokens without `aud`, or naming that API, pass.
 */
// D1 has the last word on the token, as at the built-in API: the statement that reads its user
// also checks that its grant is live with this token current (src/auth/active-user.ts), so a
// revocation, even by plain SQL, is seen here at once, not when a KV record lapses.
const thisServersToken = bearerAuth({ audience: apiResourceUri, grantInD1: true })

// §5.3.1: the endpoint MUST support GET and POST.
userinfoRoutes.on(
  ['GET', 'POST'],
  '/o/userinfo/',
  thisServersToken,
  requireScopes('openid'),
  async function userinfo(c) {
    const actor = tokenActor(c)
    const seen = await userSeenBy(c.get('db'), actor.id, actor)
    // A token of a deleted or deactivated user (or of a grant no longer current) describes no one.
    refuseUnlessActive(c, seen && { isActive: seen.actorActive })
    return c.json(userClaims(seen!.user!, c.get('auth').scope), 200, NO_STORE)
  },
)

userinfoRoutes.all('/o/userinfo/', (c) => c.body(null, 405, { Allow: 'GET, POST' }))
