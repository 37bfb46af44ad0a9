/**
 * @module The admin site at /admin/ (Django admin's URLs and field names): staff only, every page
 * behind the session, every POST behind the CSRF check, every change logged (src/store/admin-log.ts).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../../env'
import { loadSession, requireLogin } from '../session'
import { pageHeaders } from '../security'
import { methodNotAllowed, renderError } from '../views/error'
import { recentAdminActions } from '../../store/admin-log'
import { AdminIndexPage } from '../views/admin/index'
import { requireStaff } from './guard'
import { adminUserRoutes } from './users'
import { adminGroupRoutes } from './groups'
import { adminApplicationRoutes } from './applications'
import { adminTokenRoutes } from './tokens'

export const adminRoutes = new Hono<AppEnv>()
adminRoutes.use('/admin/*', pageHeaders, loadSession, requireLogin, requireStaff)

adminRoutes.get('/admin/', async (c) =>
  c.html(<AdminIndexPage session={c.get('session')!} recent={await recentAdminActions(c.get('db'))} />),
)
adminRoutes.all('/admin/', methodNotAllowed('GET, HEAD'))
adminRoutes.route('/', adminUserRoutes)
adminRoutes.route('/', adminGroupRoutes)
adminRoutes.route('/', adminApplicationRoutes)
adminRoutes.route('/', adminTokenRoutes)
// Any other address under /admin/: the site's own 404 page, for staff only (the guard ran first).
adminRoutes.all('/admin/*', (c) =>
  // Hono's `/admin/*` also matches `/admin`: send it to the index, as APPEND_SLASH does elsewhere.
  c.req.path === '/admin'
    ? c.redirect('/admin/', 301)
    : renderError(c, 404, 'Page not found', 'There is no admin page at this address.'),
)
