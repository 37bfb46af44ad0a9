/**
 * @module The authorization request's checks (RFC 6749 §4.1.1, RFC 7636 §4.3), as an ordered list
 * of small named steps. The first two decide where errors may go: until the client and its
 * redirect URI are known, an error is shown to the user (AuthorizePageError); after that it is
 * sent back to the client's redirect URI (an OAuthError), §4.1.2.1.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import type { Scope } from '../../config'
import { DEFAULT_SCOPES, MAX_PARAM_LENGTH } from '../../config'
import { OAuthError } from '../../errors'
import { CODE_CHALLENGE_METHODS, S256_CHALLENGE } from '../pkce'
import { parseScope } from '../scopes'
import { apiResourceUri, readResourceParams, type Resource, resolveResources, scopesForResources } from '../resources'
import { matchesRegisteredUri } from '../redirect-uris'
import { checkParamsOnce } from '../form'
import { type Application, redirectUriList } from '../../store/applications'
import { findClient } from '../clients'
import { DocumentError } from '../document-fetch'

/** An error that must not be redirected: the page says it to the user, with status 400. */
export class AuthorizePageError extends Error {
  constructor(readonly detail: string) {
    super(detail)
    this.name = 'AuthorizePageError'
  }
}

/** A request that passed every step. */
export type AuthorizationRequest = {
  app: Application
  /** Where the answer goes: the redirect_uri sent, or the one registered when none was. */
  redirectUri: string
  /** The redirect_uri exactly as sent (the code remembers it for the exchange, §4.1.3), or null. */
  sentRedirectUri: string | null
  state: string | null
  scopes: Scope[]
  /** The resources (RFC 8707) the grant is for: the built-in API when the request named none. */
  resources: Resource[]
  codeChallenge: string | null
  codeChallengeMethod: 'S256' | null
  nonce: string | null
  /** DOT's parameter: `auto` skips consent when the user already granted these scopes to this client. */
  approvalPrompt: 'auto' | 'force'
  /** OpenID Connect `prompt` values (none, login, consent, select_account); empty when not sent. */
  prompt: ReadonlySet<Prompt>
  /** OpenID Connect `max_age`: the longest time in seconds since sign-in the client accepts, or null. */
  maxAge: number | null
}

const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const
export type Prompt = (typeof PROMPTS)[number]

/** The request as the steps fill it in. */
export type Draft = Partial<AuthorizationRequest>

type Step = (c: Context<AppEnv>, params: URLSearchParams, draft: Draft) => void | Promise<void>

const single = (params: URLSearchParams, name: string) => {
  const values = params.getAll(name)
  return { value: values[0] ?? null, repeated: values.length > 1 }
}

/** The client, or undefined; a metadata document that cannot be used is an error page, never a redirect. */
async function findClientOrPageError(c: Context<AppEnv>, clientId: string) {
  try {
    return await findClient(c, clientId)
  } catch (err) {
    if (err instanceof DocumentError) {
      throw new AuthorizePageError(`The client's metadata document cannot be used: ${err.detail}`)
    }
    throw err
  }
}

/** §4.1.1 client_id: a known client registered for this grant, or an error page. */
const loadClient: Step = async (c, params, draft) => {
  const { value, repeated } = single(params, 'client_id')
  if (!value) throw new AuthorizePageError('Missing client_id parameter.')
  if (repeated) throw new AuthorizePageError('The client_id parameter was sent more than once.')
  const app = value.length <= MAX_PARAM_LENGTH ? await findClientOrPageError(c, value) : undefined
  if (!app) throw new AuthorizePageError('Invalid client_id parameter value: no application has this client id.')
  if (app.authorizationGrantType !== 'authorization-code') {
    throw new AuthorizePageError('This application is not registered for the authorization code flow.')
  }
  draft.app = app
}

/** §3.1.2.3/§3.1.2.4: the redirect URI must be registered; a bad one is never redirected to. */
const checkRedirectUri: Step = (_c, params, draft) => {
  const registered = redirectUriList(draft.app!)
  const { value, repeated } = single(params, 'redirect_uri')
  if (repeated) throw new AuthorizePageError('The redirect_uri parameter was sent more than once.')
  if (value === null || value === '') {
    // §3.1.2.3: it may be left out only when the client registered exactly one.
    if (registered.length !== 1)
      throw new AuthorizePageError('Missing redirect_uri parameter: this application registered several, or none.')
    draft.redirectUri = registered[0]
    draft.sentRedirectUri = null
  } else {
    if (!matchesRegisteredUri(registered, value))
      throw new AuthorizePageError('Mismatching redirect URI: it is not one this application registered.')
    draft.redirectUri = value
    draft.sentRedirectUri = value
  }
  draft.state = params.get('state')
}

/** §3.1: parameters must not repeat (but `resource`, RFC 8707 §2); ours have a length limit. From here on, errors go to the client. */
const checkParams: Step = (_c, params) => checkParamsOnce(params)

/** §4.1.1, §4.1.2.1: only `code` is served (no implicit grant, RFC 9700 §2.1.2). */
const checkResponseType: Step = (_c, params) => {
  const type = params.get('response_type')
  if (!type) throw new OAuthError('invalid_request', 'Missing response_type parameter.')
  if (type !== 'code') throw new OAuthError('unsupported_response_type')
}

/**
 * RFC 8707 §2: the resources the grant is for, each known (else `invalid_target`), at most
 * MAX_RESOURCES (else `invalid_request`); none named: the built-in API.
 */
const checkResources: Step = async (c, params, draft) => {
  draft.resources = await resolveResources(c.get('db'), apiResourceUri(c), readResourceParams(params))
}

/** §3.3: known scopes this flow may grant and the resources accept, or the defaults when none is asked for. */
const checkScope: Step = (_c, params, draft) => {
  draft.scopes = scopesForResources(
    parseScope(params.get('scope'), 'authorization_code'),
    DEFAULT_SCOPES,
    draft.resources!,
  )
}

/** Parameters that need no check: the OpenID Connect `nonce` (kept for the id_token) and DOT's `approval_prompt`. */
const readOptions: Step = (_c, params, draft) => {
  draft.nonce = params.get('nonce') || null
  draft.approvalPrompt = params.get('approval_prompt') === 'auto' ? 'auto' : 'force'
}

/**
 * OpenID Connect Core §3.1.2.1: `prompt` is a space-separated set, `none` only alone; `max_age` a
 * number of seconds. What they ask for is done in authorize.ts.
 */
const checkPrompt: Step = (_c, params, draft) => {
  const values = (params.get('prompt') ?? '').split(' ').filter(Boolean)
  if (values.some((v) => !(PROMPTS as readonly string[]).includes(v)))
    throw new OAuthError('invalid_request', 'Unsupported prompt value.')
  if (values.includes('none') && values.length > 1)
    throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values.')
  draft.prompt = new Set(values as Prompt[])
  const maxAge = params.get('max_age') || null
  if (maxAge !== null && !/^\d{1,10}$/.test(maxAge))
    throw new OAuthError('invalid_request', 'Invalid max_age parameter: a number of seconds.')
  draft.maxAge = maxAge === null ? null : Number(maxAge)
}

/**
 * RFC 7636 §4.3, §4.4.1: S256 only. A challenge without a method means `plain` (§4.3), which is
 * refused; public clients must send a challenge (RFC 9700 §2.1.1). Confidential clients may.
 */
const checkPkce: Step = (_c, params, draft) => {
  const challenge = params.get('code_challenge')
  const method = params.get('code_challenge_method')
  if (!challenge) {
    if (method) throw new OAuthError('invalid_request', 'Code challenge required with code_challenge_method.')
    if (draft.app!.clientType === 'public') throw new OAuthError('invalid_request', 'Code challenge required.')
    draft.codeChallenge = null
    draft.codeChallengeMethod = null
    return
  }
  if (!(CODE_CHALLENGE_METHODS as readonly string[]).includes(method ?? 'plain')) {
    throw new OAuthError('invalid_request', 'Transform algorithm not supported.')
  }
  if (!S256_CHALLENGE.test(challenge))
    throw new OAuthError('invalid_request', 'Invalid code_challenge: S256 expects 43 base64url characters.')
  draft.codeChallenge = challenge
  draft.codeChallengeMethod = 'S256'
}

/** The steps, in order: the first that throws is the answer. */
const AUTHORIZE_STEPS: readonly Step[] = [
  loadClient,
  checkRedirectUri,
  checkParams,
  checkResponseType,
  checkResources,
  checkScope,
  checkPkce,
  checkPrompt,
  readOptions,
]

/** Runs every step over the request's parameters. Throws AuthorizePageError or OAuthError; `draft` says where to send the latter. */
export async function validateAuthorizationRequest(
  c: Context<AppEnv>,
  params: URLSearchParams,
  draft: Draft,
): Promise<AuthorizationRequest> {
  for (const step of AUTHORIZE_STEPS) await step(c, params, draft)
  return draft as AuthorizationRequest
}
