/** @module `GET /groups/`, guarded as the tutorial's GroupList: an authenticated user's token with `groups`. */
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { requireActiveUser } from '../auth/active-user'
import { requireScopes, requireUser } from '../auth/scopes'
import { toGroupJson } from './serialize'
import { listResponse, pageOf } from './pagination'
import { countGroups, listGroups } from '../store/groups'
import { allowMethods, apiBearerAuth, methodNotAllowed, viewMetadata } from './view'

export const groupRoutes = new Hono<AppEnv>()

groupRoutes.use('/groups/', allowMethods('GET, HEAD, OPTIONS'), apiBearerAuth(), requireUser(), requireScopes('groups'))
groupRoutes.get('/groups/', (c) => listResponse(c, pageOf(c.get('db'), listGroups, countGroups), toGroupJson))
groupRoutes.options('/groups/', requireActiveUser(), viewMetadata('Group List'))
groupRoutes.all('/groups/', requireActiveUser(), methodNotAllowed)
