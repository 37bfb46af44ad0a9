/**
 * @module The authorization endpoint's pages, /o/authorize/ (RFC 6749 §4.1.1-§4.1.2) with PKCE (RFC 7636);
 * its protocol part (the checks, the code, the redirect to the client) is src/oauth/authorize/.
 * GET checks the request (authorize/steps.ts), sends anonymous users to sign in and back, then
 * shows the consent page, or answers at once when consent is not needed. POST is the consent form:
 * `allow` → a code, anything else → access_denied. Every redirect carries `iss` (RFC 9207).
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { OAuthError } from '../errors'
import { log } from '../log'
import { csrfTokenFor } from './csrf'
import { loadSession, loginUrl, type Session } from './session'
import { renderConsent } from './views/consent'
import { methodNotAllowed, renderError } from './views/error'
import { readPostedForm, refuseForgedForm } from './form'
import { pageHeaders } from './security'
import { issuerUrl } from '../oauth/issuer'
import { formatScope, isSubset } from '../oauth/scopes'
import { apiResourceUri, resourceUris } from '../oauth/resources'
import { systemClock } from '../clock'
import { liveGrantScopes } from '../store/user-grants'
import {
  type AuthorizationRequest,
  AuthorizePageError,
  type Draft,
  type Prompt,
  validateAuthorizationRequest,
} from '../oauth/authorize/steps'
import { clientRedirectUrl, errorParams, issueCode } from '../oauth/authorize/response'

export const authorizeRoutes = new Hono<AppEnv>()
authorizeRoutes.use('/o/authorize/', pageHeaders, loadSession)

/** 302 to the client's redirect URI with the response parameters (src/oauth/authorize/response.ts). */
function redirectToClient(
  c: Context<AppEnv>,
  redirectUri: string,
  state: string | null,
  params: Record<string, string>,
) {
  return c.redirect(clientRedirectUrl(issuerUrl(c), redirectUri, state, params), 302)
}

/** The request validated, or the response that refuses it: an error page, or an error sent to the client. */
async function validate(c: Context<AppEnv>, params: URLSearchParams): Promise<AuthorizationRequest | Response> {
  const draft: Draft = {}
  try {
    return await validateAuthorizationRequest(c, params, draft)
  } catch (err) {
    if (err instanceof AuthorizePageError) return renderError(c, 400, 'Error: invalid_request', err.detail)
    if (err instanceof OAuthError && draft.redirectUri) {
      return redirectToClient(c, draft.redirectUri, draft.state ?? null, errorParams(err))
    }
    throw err
  }
}

/** The code for the approved request, sent back to the client (§4.1.2). */
async function approve(c: Context<AppEnv>, request: AuthorizationRequest, session: Session) {
  const code = await issueCode(c, request, { userId: session.user.id, authTime: session.created })
  return redirectToClient(c, request.redirectUri, request.state, { code })
}

/** The `prompt` values a new sign-in answers. */
const SIGN_IN_PROMPTS: readonly Prompt[] = ['login', 'select_account']

/**
 * Whether a signed-in user must sign in again first (OpenID Connect Core §3.1.2.1): the client asks
 * for a fresh sign-in (`prompt=login`; `select_account`, as a person picks the account by signing
 * in with it), or the sign-in is older than `max_age` seconds.
 */
function reauthenticationNeeded(request: AuthorizationRequest, session: Session): boolean {
  if (SIGN_IN_PROMPTS.some((p) => request.prompt.has(p))) return true
  return request.maxAge !== null && systemClock.now() - session.created > request.maxAge
}

/**
 * Where sign-in comes back to: this request without what asked for the sign-in, which the new
 * session now satisfies (else `prompt=login` would send the person round again). The id_token's
 * `auth_time` tells the client when that was.
 */
function afterSignIn(c: Context<AppEnv>, request: AuthorizationRequest): string {
  const url = new URL(c.req.url)
  const prompt = [...request.prompt].filter((p) => !SIGN_IN_PROMPTS.includes(p))
  url.searchParams.delete('max_age')
  if (prompt.length) url.searchParams.set('prompt', prompt.join(' '))
  else url.searchParams.delete('prompt')
  return url.pathname + url.search
}

/**
 * Consent is asked when the client says `prompt=consent`; otherwise skipped for trusted apps, and
 * with approval_prompt=auto when these scopes were granted already. A grant for other resources
 * (RFC 8707) than the built-in API is always asked for: the earlier grant may have been for another API.
 */
async function consentNeeded(c: Context<AppEnv>, request: AuthorizationRequest, session: Session): Promise<boolean> {
  if (request.prompt.has('consent')) return true
  if (request.app.skipAuthorization) return false
  if (request.approvalPrompt !== 'auto') return true
  if (resourceUris(request.resources, apiResourceUri(c)) !== null) return true
  const granted = await liveGrantScopes(c.get('db'), session.user.id, request.app.id, systemClock)
  return !granted.some((scope) => isSubset(request.scopes, scope))
}

/**
 * Where a self-registered client lives, as a person reads it: the host of its metadata document
 * (its client_id), else the host its answer goes back to.
 */
function clientHost(request: AuthorizationRequest): string {
  const url = request.app.registration === 'metadata-document' ? request.app.clientId : request.redirectUri
  try {
    return new URL(url).host || url
  } catch {
    return url
  }
}

/** The request's parameters as the consent form posts them back (`resource` once per resource named). */
function hiddenFields(c: Context<AppEnv>, request: AuthorizationRequest): [string, string][] {
  const fields: [string, string][] = [
    ['client_id', request.app.clientId],
    ['response_type', 'code'],
    ['scope', formatScope(request.scopes)],
  ]
  if (request.sentRedirectUri !== null) fields.push(['redirect_uri', request.sentRedirectUri])
  if (request.state !== null) fields.push(['state', request.state])
  if (request.codeChallenge) fields.push(['code_challenge', request.codeChallenge])
  if (request.codeChallengeMethod) fields.push(['code_challenge_method', request.codeChallengeMethod])
  if (request.nonce) fields.push(['nonce', request.nonce])
  const resources = resourceUris(request.resources, apiResourceUri(c))
  for (const uri of resources ?? []) fields.push(['resource', uri])
  return fields
}

authorizeRoutes.get('/o/authorize/', async (c) => {
  const request = await validate(c, new URL(c.req.url).searchParams)
  if (request instanceof Response) return request
  const session = c.get('session')
  // prompt=none: the client wants an answer without any page; anything needing one is an error.
  const silent = request.prompt.has('none')
  if (!session || reauthenticationNeeded(request, session)) {
    if (silent) return redirectToClient(c, request.redirectUri, request.state, { error: 'login_required' })
    return c.redirect(loginUrl(afterSignIn(c, request)), 302)
  }
  if (!(await consentNeeded(c, request, session))) return approve(c, request, session)
  if (silent) return redirectToClient(c, request.redirectUri, request.state, { error: 'consent_required' })
  return renderConsent(c, {
    session,
    csrfToken: csrfTokenFor(c),
    appName: request.app.name || request.app.clientId,
    scopes: request.scopes,
    resources: request.resources.map(({ uri, name }) => ({ uri, name })),
    redirectUri: request.redirectUri,
    ...(request.app.registration !== 'manual' && { unverified: { host: clientHost(request) } }),
    hidden: hiddenFields(c, request),
  })
})

const FORM_ONLY_FIELDS = ['csrfmiddlewaretoken', 'allow']

authorizeRoutes.post('/o/authorize/', async (c) => {
  const { form, forged } = await readPostedForm(c)
  const session = c.get('session')
  if (!session) {
    // The session ended while the consent page was open: sign in again, then see the page anew.
    const query = new URLSearchParams([...form].filter(([name]) => !FORM_ONLY_FIELDS.includes(name)))
    return c.redirect(loginUrl(`/o/authorize/?${query}`), 303)
  }
  // §10.12: a forged consent would hand a code for the victim's account to the attacker's client.
  if (forged) {
    return refuseForgedForm(
      c,
      'This consent form has expired or did not come from this site. Go back to the application and try again.',
    )
  }
  const allow = form.has('allow')
  for (const name of FORM_ONLY_FIELDS) form.delete(name)
  const request = await validate(c, form)
  if (request instanceof Response) return request
  if (!allow) {
    log(c, 'info', { event: 'consent_denied', applicationId: request.app.id, userId: session.user.id })
    return redirectToClient(c, request.redirectUri, request.state, { error: 'access_denied' })
  }
  return approve(c, request, session)
})

authorizeRoutes.all('/o/authorize/', methodNotAllowed('GET, HEAD, POST'))
