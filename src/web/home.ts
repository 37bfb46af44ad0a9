/** @module The home page route. */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { loadSession } from './session'
import { issuerUrl } from '../oauth/issuer'
import { renderHome } from './views/home'
import { pageHeaders } from './security'
import { methodNotAllowed } from './views/error'

export const homeRoutes = new Hono<AppEnv>()
homeRoutes.get('/', pageHeaders, loadSession, (c) => renderHome(c, { session: c.get('session'), issuer: issuerUrl(c) }))
homeRoutes.all('/', pageHeaders, loadSession, methodNotAllowed('GET, HEAD'))
