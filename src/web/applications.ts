/**
 * @module The application management pages under /o/applications/ (DOT's management views): list,
 * register, detail, edit, delete, new secret. A user sees and changes only their own applications;
 * anyone else's answer 404, as if they did not exist. Client secrets are random (RFC 6749 §10.10),
 * stored as SHA-256 and shown once, in the answer that generated them; a new one ends the
 * client_credentials tokens of the old. Owners never set "Skip authorization" (ApplicationFields).
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { log } from '../log'
import { newClientId, randomToken, sha256Hex } from '../crypto/token'
import { loadSession, requireLogin, signedIn } from './session'
import { methodNotAllowed, renderError } from './views/error'
import { readPostedForm, refuseForgedForm } from './form'
import { flashSecret, takeFlashedSecret } from './secret-flash'
import { pageHeaders } from './security'
import { renderApplicationList } from './views/applications/list'
import { renderApplicationForm } from './views/applications/form'
import { renderApplicationDetail } from './views/applications/detail'
import { renderApplicationDelete } from './views/applications/delete'
import { readApplicationForm } from '../oauth/application-form'
import { issuerUrl } from '../oauth/issuer'
import { tokenDepsFor } from '../tokens/deps'
import { revokeFamily } from '../tokens/service'
import {
  type Application,
  type ApplicationFields,
  deleteApplication,
  findOwnApplication,
  insertApplication,
  listApplicationsOf,
  updateApplication,
} from '../store/applications'
import { liveFamilyIdsOf } from '../store/user-grants'

export const applicationRoutes = new Hono<AppEnv>()
applicationRoutes.use('/o/applications/*', pageHeaders, loadSession, requireLogin)

const BASE = '/o/applications'

/** A fresh secret and the digest it is stored under. */
function newSecret() {
  const secret = randomToken()
  return { secret, clientSecretHash: sha256Hex(secret) }
}

/**
 * `skipAuthorization` is not in `fields`: an owner never sets it. An administrator trusted this
 * client to skip consent as it was: its redirect URIs, client type and grant. An owner who changes
 * any of them would otherwise send every user's code, unasked, wherever they like (RFC 6749
 * §10.2), so the trust ends with the change; a rename or new origins keep it.
 */
function trustAfterEdit(app: Application, fields: ApplicationFields): { skipAuthorization?: false } {
  const same =
    fields.redirectUris === app.redirectUris &&
    fields.clientType === app.clientType &&
    fields.authorizationGrantType === app.authorizationGrantType
  return app.skipAuthorization && !same ? { skipAuthorization: false } : {}
}

const notFound = (c: Context<AppEnv>) =>
  renderError(c, 404, 'Application not found', 'There is no application of yours at this address.')

/** The signed-in user's application named by the `:id` in the path, or undefined. */
async function ownApplication(c: Context<AppEnv>): Promise<Application | undefined> {
  const id = Number(c.req.param('id'))
  if (!Number.isSafeInteger(id) || id <= 0) return undefined
  return findOwnApplication(c.get('db'), signedIn(c).user.id, id)
}

/** A page of one of the user's own applications; any other `:id` answers 404, as if it did not exist. */
const ownApplicationPage =
  (page: (c: Context<AppEnv>, app: Application) => Response | Promise<Response>) => async (c: Context<AppEnv>) => {
    const app = await ownApplication(c)
    return app ? page(c, app) : notFound(c)
  }

/**
 * A form POST on one of the user's own applications: a forged form is refused (403) before the
 * application is looked up, then any other `:id` answers 404.
 */
const ownApplicationAction =
  (action: (c: Context<AppEnv>, app: Application, form: URLSearchParams) => Response | Promise<Response>) =>
  async (c: Context<AppEnv>) => {
    const { form, forged } = await readPostedForm(c)
    if (forged) return refuseForgedForm(c)
    const app = await ownApplication(c)
    return app ? action(c, app, form) : notFound(c)
  }

const detail = (
  c: Context<AppEnv>,
  app: Application,
  extra: { secret?: string; notice?: string } = {},
  status: 200 | 201 = 200,
) =>
  renderApplicationDetail(c, { session: signedIn(c), app, tokenEndpoint: `${issuerUrl(c)}/o/token/`, ...extra }, status)

applicationRoutes.get(`${BASE}/`, async (c) => {
  const session = signedIn(c)
  return renderApplicationList(c, { session, apps: await listApplicationsOf(c.get('db'), session.user.id) })
})

const registerForm = (c: Context<AppEnv>) =>
  renderApplicationForm(c, {
    session: signedIn(c),
    action: `${BASE}/register/`,
    values: { clientType: 'confidential' },
    cancel: `${BASE}/`,
  })

async function register(c: Context<AppEnv>) {
  const { form, forged } = await readPostedForm(c)
  if (forged) return refuseForgedForm(c)
  const session = signedIn(c)
  const { fields, errors } = readApplicationForm(form)
  if (Object.keys(errors).length) {
    return renderApplicationForm(
      c,
      { session, action: `${BASE}/register/`, values: fields, errors, cancel: `${BASE}/` },
      400,
    )
  }
  const credentials = fields.clientType === 'confidential' ? newSecret() : null
  const app = await insertApplication(c.get('db'), {
    ...fields,
    clientId: newClientId(),
    clientSecretHash: credentials?.clientSecretHash ?? null,
    userId: session.user.id,
  })
  log(c, 'info', { event: 'application_registered', applicationId: app.id, userId: session.user.id })
  // Post/Redirect/Get: a reload of the page that shows the secret must not register a second
  // application. The one-time secret rides to that page sealed in a cookie (./secret-flash.ts).
  if (credentials) await flashSecret(c, session, `${BASE}/${app.id}/`, credentials.secret)
  return c.redirect(`${BASE}/${app.id}/?registered`, 303)
}

const NOTICES = { registered: 'Application registered.', saved: 'Changes saved.' } as const

const showApplication = ownApplicationPage(async (c, app) => {
  const secret = await takeFlashedSecret(c, signedIn(c), `${BASE}/${app.id}/`)
  const key = (Object.keys(NOTICES) as Array<keyof typeof NOTICES>).find((k) => c.req.query(k) !== undefined)
  return detail(c, app, { secret, notice: key && NOTICES[key] })
})

// `register/` and `<id>/` are one route that looks at the segment. Hono's RegExpRouter, its
// fastest, takes no fixed segment beside a parameter at the same place (`register` beside `:id`),
// and one such pair puts the whole app on its TrieRouter: ~11 µs instead of ~1 µs to route a
// GET /users/<pk>/ (measured in Node on this app's routes).
const REGISTER_OR_ID = `${BASE}/:id/`
const registering = (c: Context<AppEnv>) => c.req.param('id') === 'register'
applicationRoutes.get(REGISTER_OR_ID, (c) => (registering(c) ? registerForm(c) : showApplication(c)))
applicationRoutes.post(REGISTER_OR_ID, (c, next) => (registering(c) ? register(c) : next()))

applicationRoutes.get(
  `${BASE}/:id/update/`,
  ownApplicationPage((c, app) =>
    renderApplicationForm(c, {
      session: signedIn(c),
      action: `${BASE}/${app.id}/update/`,
      values: app,
      cancel: `${BASE}/${app.id}/`,
    }),
  ),
)

applicationRoutes.post(
  `${BASE}/:id/update/`,
  ownApplicationAction(async (c, app, form) => {
    const { fields, errors } = readApplicationForm(form)
    if (Object.keys(errors).length) {
      return renderApplicationForm(
        c,
        {
          session: signedIn(c),
          action: `${BASE}/${app.id}/update/`,
          values: fields,
          errors,
          cancel: `${BASE}/${app.id}/`,
        },
        400,
      )
    }
    // A client that becomes public loses its secret; one that becomes confidential gets one, shown now.
    const becameConfidential = fields.clientType === 'confidential' && app.clientType === 'public'
    const credentials = becameConfidential ? newSecret() : null
    const clientSecretHash =
      fields.clientType === 'public' ? null : (credentials?.clientSecretHash ?? app.clientSecretHash)
    // The secret is written only when it changes (a D1 trigger then ends what the old one got:
    // migrations/0003); else a secret generated meanwhile on another tab would be put back.
    const secretChange = clientSecretHash !== app.clientSecretHash ? { clientSecretHash } : {}
    await updateApplication(c.get('db'), app.id, { ...fields, ...secretChange, ...trustAfterEdit(app, fields) })
    log(c, 'info', { event: 'application_updated', applicationId: app.id })
    if (credentials)
      return detail(
        c,
        { ...app, ...fields, clientSecretHash },
        { secret: credentials.secret, notice: 'Changes saved.' },
      )
    return c.redirect(`${BASE}/${app.id}/?saved`, 302)
  }),
)

applicationRoutes.post(
  `${BASE}/:id/secret/`,
  ownApplicationAction(async (c, app) => {
    if (app.clientType !== 'confidential')
      return renderError(c, 400, 'No secret to replace', 'A public client has no client secret.')
    const { secret, clientSecretHash } = newSecret()
    // A D1 trigger moves secret_generation on, ending the old secret's client_credentials tokens.
    await updateApplication(c.get('db'), app.id, { clientSecretHash })
    log(c, 'info', { event: 'client_secret_regenerated', applicationId: app.id })
    const notice =
      'A new client secret was generated. The old one no longer works, and the tokens it got for the client itself (client credentials) have ended.'
    return detail(c, { ...app, clientSecretHash }, { secret, notice })
  }),
)

applicationRoutes.get(
  `${BASE}/:id/delete/`,
  ownApplicationPage((c, app) => renderApplicationDelete(c, { session: signedIn(c), app })),
)

applicationRoutes.post(
  `${BASE}/:id/delete/`,
  ownApplicationAction(async (c, app) => {
    // Revoke first: the cascade would drop the grants' rows, but their tokens live on in KV.
    const deps = tokenDepsFor(c.env, c.get('db'))
    for (const familyId of await liveFamilyIdsOf(deps.db, app.id, deps.clock)) await revokeFamily(deps, familyId)
    await deleteApplication(c.get('db'), app.id)
    log(c, 'info', { event: 'application_deleted', applicationId: app.id })
    return c.redirect(`${BASE}/`, 303)
  }),
)

// Any other method on these addresses: 405 with the methods each one takes (RFC 9110 §15.5.6).
applicationRoutes.all(REGISTER_OR_ID, (c) => methodNotAllowed(registering(c) ? 'GET, HEAD, POST' : 'GET, HEAD')(c))
const ALLOWED_METHODS = [
  [`${BASE}/`, 'GET, HEAD'],
  [`${BASE}/:id/update/`, 'GET, HEAD, POST'],
  [`${BASE}/:id/secret/`, 'POST'],
  [`${BASE}/:id/delete/`, 'GET, HEAD, POST'],
] as const
for (const [path, allow] of ALLOWED_METHODS) applicationRoutes.all(path, methodNotAllowed(allow))
