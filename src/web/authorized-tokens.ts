/**
 * @module /o/authorized_tokens/ (DOT's name): the grants the signed-in user has given, one per
 * token family, and revoking one, which ends its access and refresh tokens (src/tokens/service.ts).
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
import { revokeFamily } from '../tokens/service'
import { isLiveGrantOf, listUserGrants } from '../store/user-grants'

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
  if (!(await isLiveGrantOf(c.get('db'), session.user.id, id, systemClock))) {
    return renderError(c, 404, 'Not found', 'There is no such authorization on your account.')
  }
  await revokeFamily(tokenDepsFor(c.env, c.get('db')), id)
  log(c, 'info', { event: 'grant_revoked_by_user', userId: session.user.id })
  return c.redirect('/o/authorized_tokens/?revoked', 303)
})

authorizedTokenRoutes.all('/o/authorized_tokens/', methodNotAllowed('GET, HEAD'))
authorizedTokenRoutes.all('/o/authorized_tokens/:id/delete/', methodNotAllowed('POST'))
