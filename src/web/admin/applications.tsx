/**
 * @module The admin's applications of every owner (DOT's /admin/oauth2_provider/application/):
 * list, add, change, delete. The one place `skip_authorization` is set, and where an application
 * gets or changes its owner (`user`, or none). A new secret is shown once, on the page the POST
 * redirects to (./../secret-flash.ts), so a reload registers nothing twice.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { log } from '../../log'
import { newClientId, randomToken, sha256Hex } from '../../crypto/token'
import { readApplicationForm } from '../../oauth/application-form'
import type { Application, Registration } from '../../store/applications'
import { readSettings } from '../../config'
import {
  applicationForAdmin,
  applicationIdByClientId,
  deleteApplicationStatement,
  insertApplicationStatement,
  searchApplications,
  updateApplicationStatement,
  userChoices,
} from '../../store/admin-oauth'
import { existingUserIds } from '../../store/admin-accounts'
import { adminActionsOn, logAdminAction } from '../../store/admin-log'
import { tokenDepsFor } from '../../tokens/deps'
import { planRevokeAll } from '../../tokens/revoke-all'
import { flashSecret, takeFlashedSecret } from '../secret-flash'
import { signedIn } from '../session'
import { methodNotAllowed } from '../views/error'
import { ConfirmDeletePage } from '../views/admin/parts'
import {
  ApplicationAdminFormPage,
  ApplicationAdminListPage,
  type ApplicationFormValues,
  REGISTRATION_LABELS,
} from '../views/admin/applications'
import type { FormErrors } from '../views/admin/users'
import { actorOf, adminForm, csrfRefused, idOf, missing, pageOf, pathId } from './guard'

export const adminApplicationRoutes = new Hono<AppEnv>()
const BASE = '/admin/oauth2_provider/application'
const changePath = (id: number) => `${BASE}/${id}/change/`

const valuesOf = (app: Application): ApplicationFormValues => ({
  name: app.name,
  client_type: app.clientType,
  authorization_grant_type: app.authorizationGrantType,
  redirect_uris: app.redirectUris,
  allowed_origins: app.allowedOrigins,
  user: app.userId === null ? '' : String(app.userId),
  skip_authorization: app.skipAuthorization,
})

/** The form's fields, checked by the same rules as the owners' pages, plus the owner and the consent flag. */
async function readAdminForm(c: Context<AppEnv>, form: URLSearchParams) {
  const { fields, errors } = readApplicationForm(form)
  const all: FormErrors = { ...errors }
  const owner = form.get('user') ?? ''
  const userId = owner === '' ? null : idOf(owner)
  if (userId === undefined || (userId !== null && (await existingUserIds(c.get('db'), [userId])).length === 0))
    all.user = ['Select a valid choice. That choice is not one of the available choices.']
  const values: ApplicationFormValues = {
    name: form.get('name') ?? '',
    client_type: form.get('client_type') ?? '',
    authorization_grant_type: form.get('authorization_grant_type') ?? '',
    redirect_uris: fields.redirectUris ?? '',
    allowed_origins: fields.allowedOrigins ?? '',
    user: owner,
    skip_authorization: form.has('skip_authorization'),
  }
  return {
    fields: { ...fields, userId: userId ?? null, skipAuthorization: form.has('skip_authorization') },
    errors: all,
    values,
  }
}

const newSecret = () => {
  const secret = randomToken()
  return { secret, clientSecretHash: sha256Hex(secret) }
}

/** The list's registration filter (Django's `field__exact`); any other value lists every application. */
const registrationFilter = (value: string | undefined): Registration | undefined =>
  value !== undefined && Object.hasOwn(REGISTRATION_LABELS, value) ? (value as Registration) : undefined

adminApplicationRoutes.get(`${BASE}/`, async (c) => {
  const page = pageOf(c)
  const registration = registrationFilter(c.req.query('registration__exact'))
  const { total, rows } = await searchApplications(c.get('db'), c.req.query('q') ?? '', page, registration)
  const notice = c.req.query('deleted') !== undefined ? 'The application was deleted.' : undefined
  const query = new URL(c.req.url).searchParams
  return c.html(
    <ApplicationAdminListPage
      session={c.get('session')!}
      rows={rows}
      total={total}
      page={page}
      query={query}
      notice={notice}
    />,
  )
})

const EMPTY: ApplicationFormValues = {
  name: '',
  client_type: 'confidential',
  authorization_grant_type: 'authorization-code',
  redirect_uris: '',
  allowed_origins: '',
  user: '',
  skip_authorization: false,
}

adminApplicationRoutes.get(`${BASE}/:id/`, async (c) => {
  if (c.req.param('id') === 'add')
    return c.html(
      <ApplicationAdminFormPage session={c.get('session')!} values={EMPTY} users={await userChoices(c.get('db'))} />,
    )
  const id = pathId(c)
  return id ? c.redirect(changePath(id), 302) : missing(c, 'Application')
})

adminApplicationRoutes.post(`${BASE}/:id/`, async (c) => {
  if (c.req.param('id') !== 'add') return methodNotAllowed('GET, HEAD')(c)
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const db = c.get('db')
  const { fields, errors, values } = await readAdminForm(c, form)
  if (Object.keys(errors).length)
    return c.html(
      <ApplicationAdminFormPage
        session={c.get('session')!}
        values={values}
        users={await userChoices(db)}
        errors={errors}
      />,
      400,
    )
  const credentials = fields.clientType === 'confidential' ? newSecret() : null
  const clientId = newClientId()
  const [[app]] = await db.batch([
    insertApplicationStatement(db, { ...fields, clientId, clientSecretHash: credentials?.clientSecretHash ?? null }),
    logAdminAction(db, {
      actor: actorOf(c),
      objectType: 'application',
      objectId: applicationIdByClientId(db, clientId),
      objectRepr: fields.name || clientId,
      action: 'add',
    }),
  ])
  log(c, 'info', { event: 'admin_application_added', applicationId: app!.id, actorId: actorOf(c).id })
  if (credentials) await flashSecret(c, signedIn(c), changePath(app!.id), credentials.secret)
  return c.redirect(`${changePath(app!.id)}?added`, 303)
})

const appOfPath = async (c: Context<AppEnv>) => {
  const id = pathId(c)
  return id === undefined ? undefined : applicationForAdmin(c.get('db'), id)
}

adminApplicationRoutes.get(`${BASE}/:id/change/`, async (c) => {
  const found = await appOfPath(c)
  if (!found) return missing(c, 'Application')
  const secret = await takeFlashedSecret(c, signedIn(c), changePath(found.app.id))
  const notice =
    c.req.query('added') !== undefined
      ? 'The application was added.'
      : c.req.query('saved') !== undefined
        ? 'The application was changed.'
        : undefined
  return c.html(
    <ApplicationAdminFormPage
      session={c.get('session')!}
      app={found.app}
      values={valuesOf(found.app)}
      users={found.users}
      notice={notice}
      secret={secret}
      unusedClientDays={readSettings(c.env).unusedClientDays}
      history={await adminActionsOn(c.get('db'), 'application', found.app.id)}
    />,
  )
})

adminApplicationRoutes.post(`${BASE}/:id/change/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await appOfPath(c)
  if (!found) return missing(c, 'Application')
  const { app } = found
  const db = c.get('db')
  const { fields, errors, values } = await readAdminForm(c, form)
  if (Object.keys(errors).length)
    return c.html(
      <ApplicationAdminFormPage
        session={c.get('session')!}
        app={app}
        values={values}
        users={found.users}
        errors={errors}
      />,
      400,
    )
  // As on the owners' pages: a client that becomes public loses its secret, one that becomes
  // confidential gets one (shown once); the secret is written only when it changes.
  const credentials = fields.clientType === 'confidential' && app.clientType === 'public' ? newSecret() : null
  const clientSecretHash =
    fields.clientType === 'public' ? null : (credentials?.clientSecretHash ?? app.clientSecretHash)
  const secretChange = clientSecretHash !== app.clientSecretHash ? { clientSecretHash } : {}
  const changed = (Object.keys(fields) as Array<keyof typeof fields>).filter((k) => fields[k] !== app[k])
  await db.batch([
    updateApplicationStatement(db, app.id, { ...fields, ...secretChange }),
    logAdminAction(db, {
      actor: actorOf(c),
      objectType: 'application',
      objectId: app.id,
      objectRepr: fields.name || app.clientId,
      action: 'change',
      message: changed.length ? `Changed ${changed.join(', ')}.` : 'No fields changed.',
    }),
  ])
  if (credentials) await flashSecret(c, signedIn(c), changePath(app.id), credentials.secret)
  return c.redirect(`${changePath(app.id)}?saved`, 303)
})

adminApplicationRoutes.get(`${BASE}/:id/delete/`, async (c) => {
  const found = await appOfPath(c)
  if (!found) return missing(c, 'Application')
  const { app } = found
  return c.html(
    <ConfirmDeletePage
      session={c.get('session')!}
      kind="application"
      name={app.name || app.clientId}
      listUrl={[`${BASE}/`, 'Applications']}
      action={`${BASE}/${app.id}/delete/`}
      cancel={changePath(app.id)}
      consequences={
        <p>
          Its client id stops working at once, every grant users gave it is revoked with its access and refresh tokens,
          and the tokens it got for itself (client credentials) are refused from the next request on.
        </p>
      }
    />,
  )
})

adminApplicationRoutes.post(`${BASE}/:id/delete/`, async (c) => {
  const form = await adminForm(c)
  if (!form) return csrfRefused(c)
  const found = await appOfPath(c)
  if (!found) return missing(c, 'Application')
  const { app } = found
  const db = c.get('db')
  const plan = planRevokeAll(tokenDepsFor(c.env, db), { applicationId: app.id })
  const results = await db.batch([
    ...plan.statements,
    logAdminAction(db, {
      actor: actorOf(c),
      objectType: 'application',
      objectId: app.id,
      objectRepr: app.name || app.clientId,
      action: 'delete',
    }),
    deleteApplicationStatement(db, app.id),
  ] as unknown as Parameters<typeof db.batch>[0])
  const { revoked } = await plan.afterCommit(results)
  log(c, 'info', { event: 'admin_application_deleted', applicationId: app.id, actorId: actorOf(c).id, revoked })
  return c.redirect(`${BASE}/?deleted`, 303)
})

for (const [path, allow] of [
  [`${BASE}/`, 'GET, HEAD'],
  [`${BASE}/:id/change/`, 'GET, HEAD, POST'],
  [`${BASE}/:id/delete/`, 'GET, HEAD, POST'],
] as const)
  adminApplicationRoutes.all(path, methodNotAllowed(allow))
