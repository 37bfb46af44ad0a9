/**
 * @module /o/authorized_tokens/ (DOT's name): the applications the signed-in user has given grants
 * to, one row per application, and revoking one, which ends every access and refresh token of the
 * user's grants to it (src/tokens/revoke-all.ts).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { log } from '../log'
import { loadSession, requireLogin, signedIn } from './session'
import { renderAuthorizedTokens } from './views/authorized-tokens'
import { methodNotAllowed, renderError } from './views/error'
import { readPostedForm, refuseForgedForm } from './form'
import { pageHeaders } from './security'
import { systemClock } from '../clock'
import { tokenDepsFor } from '../tokens/deps'
import { revokeAll } from '../tokens/revoke-all'
import { listUserGrants, liveGrantApplicationId } from '../store/user-grants'

export const authorizedTokenRoutes = new Hono<AppEnv>()
authorizedTokenRoutes.use('/o/authorized_tokens/*', pageHeaders, loadSession, requireLogin)

authorizedTokenRoutes.get('/o/authorized_tokens/', async (c) => {
  const session = signedIn(c)
  const notice = c.req.query('revoked') !== undefined ? 'Access revoked.' : undefined
  return renderAuthorizedTokens(c, {
    session,
    grants: await listUserGrants(c.get('db'), session.user.id, systemClock),
    notice,
  })
})

authorizedTokenRoutes.post('/o/authorized_tokens/:id/delete/', async (c) => {
  const { forged } = await readPostedForm(c)
  if (forged) return refuseForgedForm(c)
  const session = signedIn(c)
  const id = c.req.param('id')
  // Only the user's own live grants: anyone else's id answers as if it did not exist.
  const applicationId = await liveGrantApplicationId(c.get('db'), session.user.id, id, systemClock)
  if (applicationId === undefined) {
    return renderError(c, 404, 'Not found', 'There is no such authorization on your account.')
  }
  // The page shows one row per application: revoking it ends every grant the user gave that application.
  const { revoked } = await revokeAll(tokenDepsFor(c.env, c.get('db')), { userId: session.user.id, applicationId })
  log(c, 'info', { event: 'grant_revoked_by_user', userId: session.user.id, revoked })
  return c.redirect('/o/authorized_tokens/?revoked', 303)
})

authorizedTokenRoutes.all('/o/authorized_tokens/', methodNotAllowed('GET, HEAD'))
authorizedTokenRoutes.all('/o/authorized_tokens/:id/delete/', methodNotAllowed('POST'))
