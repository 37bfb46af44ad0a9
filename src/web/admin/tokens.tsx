/**
 * @module The admin's live grants (DOT's /admin/oauth2_provider/accesstoken/): every user's, with
 * user, application, scope, issued and expiry, filtered by `?user=` or `?application=`; revoking
 * one or a selection ends their access and refresh tokens at once (src/tokens/revoke-all.ts).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../../env'
import { log } from '../../log'
import { systemClock } from '../../clock'
import { ADMIN_PAGE_SIZE } from '../../store/admin-accounts'
import { searchLiveGrants } from '../../store/admin-oauth'
import { logAdminAction } from '../../store/admin-log'
import { tokenDepsFor } from '../../tokens/deps'
import { planRevokeAll } from '../../tokens/revoke-all'
import { methodNotAllowed, renderError } from '../views/error'
import { TokenListPage } from '../views/admin/tokens'
import { actorOf, adminForm, csrfRefused, idOf, pageOf } from './guard'

export const adminTokenRoutes = new Hono<AppEnv>()
const BASE = '/admin/oauth2_provider/accesstoken'

adminTokenRoutes.get(`${BASE}/`, async (c) => {
  const page = pageOf(c)
  const filter = { userId: idOf(c.req.query('user')), applicationId: idOf(c.req.query('application')) }
  const { total, rows } = await searchLiveGrants(c.get('db'), filter, page, systemClock)
  const revoked = c.req.query('revoked')
  const notice = revoked !== undefined ? `Revoked ${Number(revoked) || 0} grant(s).` : undefined
  const query = new URL(c.req.url).searchParams
  return c.html(
    <TokenListPage session={c.get('session')!} rows={rows} total={total} page={page} query={query} notice={notice} />,
  )
})

adminTokenRoutes.post(`${BASE}/revoke/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const ids = [...new Set(form.getAll('_selected_action'))]
  if (ids.length === 0 || ids.length > ADMIN_PAGE_SIZE || ids.some((id) => !/^[A-Za-z0-9_-]{1,64}$/.test(id)))
    return renderError(c, 400, 'Nothing to revoke', 'Select at least one grant (at most one page of them) to revoke.')
  const db = c.get('db')
  const actor = actorOf(c)
  const plan = planRevokeAll(tokenDepsFor(c.env, db), { ids })
  const results = await db.batch([
    ...plan.statements,
    ...ids.map((id) =>
      logAdminAction(db, {
        actor,
        objectType: 'accesstoken',
        objectId: id,
        objectRepr: id.slice(0, 8),
        action: 'delete',
        message: 'Revoked.',
      }),
    ),
  ] as unknown as Parameters<typeof db.batch>[0])
  const { revoked } = await plan.afterCommit(results)
  log(c, 'info', { event: 'admin_grants_revoked', actorId: actor.id, revoked })
  return c.redirect(`${BASE}/?revoked=${revoked}`, 303)
})

adminTokenRoutes.all(`${BASE}/`, methodNotAllowed('GET, HEAD'))
adminTokenRoutes.all(`${BASE}/revoke/`, methodNotAllowed('POST'))
