/**
 * @module Resource indicators (RFC 8707): which APIs a token is for. A resource is named by an
 * absolute URI. The built-in users/groups API is one, its URI the `API_RESOURCE` var (default: the
 * issuer's origin + "/"); the others are registered in D1 (src/store/resources.ts). A request that
 * names no resource is for the built-in API, so every client written before resources existed
 * works as it did. A grant records the resources it was given for (`null`: the built-in API
 * alone); the token endpoint may narrow them per token, never widen them (§2.2).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { DEFAULT_SCOPES, GRANTABLE_SCOPES, SCOPES, type ScopeRequest, type Settings } from '../config'
import type { Db } from '../db/client'
import { OAuthError } from '../errors'
import { findResources, type ResourceRow } from '../store/resources'
import { issuerUrl } from './issuer'
import { isScopeToken } from './scopes'
import { registeredScopes } from './client-metadata'
import type { Application } from '../store/applications'

/** More `resource` parameters than this in one request is `invalid_request`: no client needs more. */
export const MAX_RESOURCES = 5

/**
 * The built-in API's scopes: what its RFC 9728 document lists, what its routes check, and what a
 * request for it without `scope` gets (the tutorial's three).
 */
export const API_SCOPES = DEFAULT_SCOPES

/** Scopes about this server itself, not about a resource: OpenID Connect's, and introspection. */
const SERVER_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'introspection'])

/** The built-in API's name, in its RFC 9728 document and on the consent page. */
export const API_NAME = 'Users and groups API'

/** What a resource asks of the tokens issued for it. */
export type Resource = {
  uri: string
  name: string
  /** The scopes it accepts: its own names (RFC 6749 §3.3 scope-tokens) or this server's; null: API_SCOPES. */
  scopes: readonly string[] | null
  tokenFormat: 'opaque' | 'jwt'
  /** Its own access token lifetime (at most the server's); null: the server's. */
  accessTokenExpireSeconds: number | null
}

/** The resources of a grant or a token: URIs, or null for the built-in API alone. */
export type ResourceUris = readonly string[] | null

/** What an access token is made as: its audience (null: the built-in API), its format, its lifetime. */
export type AccessTarget = { aud: ResourceUris; format: 'opaque' | 'jwt'; expiresIn: number }

/** The built-in API's resource URI: `API_RESOURCE`, else the issuer's origin with a "/" path. */
export function apiResourceUri(c: Context<AppEnv>): string {
  return apiResourceUriFor(c.env.API_RESOURCE, issuerUrl(c))
}

/** The built-in API's resource URI from plain inputs (the admin CLI has no request): see apiResourceUri. */
export function apiResourceUriFor(apiResource: string | undefined, issuer: string): string {
  return apiResource || `${new URL(issuer).origin}/`
}

const builtInApi = (uri: string): Resource => ({
  uri,
  name: API_NAME,
  scopes: API_SCOPES,
  tokenFormat: 'opaque',
  accessTokenExpireSeconds: null,
})

const fromRow = (row: ResourceRow): Resource => ({
  uri: row.uri,
  name: row.name,
  scopes: row.scopes ? row.scopes.split(' ') : null,
  tokenFormat: row.tokenFormat,
  accessTokenExpireSeconds: row.accessTokenExpireSeconds,
})

/** A URI scheme, then printable ASCII without spaces (a grant stores its resources space-separated). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+$/

const parses = (value: string): boolean => {
  try {
    new URL(value)
    return true
  } catch {
    return false
  }
}

/**
 * Why `value` cannot be a resource indicator, or null. RFC 8707 §2: it "MUST be an absolute URI"
 * and "MUST NOT include a fragment component".
 */
export function resourceUriProblem(value: string): string | null {
  if (!ABSOLUTE_URI.test(value) || !parses(value)) return 'it must be an absolute URI'
  if (value.includes('#')) return 'it must not have a fragment'
  return null
}

/**
 * Why `names` cannot be a resource's scopes, or null: each must be an RFC 6749 §3.3 scope-token,
 * and not one of the scopes about this server itself (SERVER_SCOPES), which no resource grants.
 */
export function resourceScopesProblem(names: readonly string[]): string | null {
  const bad = names.filter((name) => !isScopeToken(name))
  if (bad.length) return `not scope tokens (RFC 6749 §3.3): ${bad.join(', ')}`
  const reserved = names.filter((name) => SERVER_SCOPES.has(name))
  if (reserved.length) return `${reserved.join(', ')}: scopes of this server itself, which no resource grants`
  return null
}

/**
 * The `resource` parameters of a request, without repeats, or null when there are none. More than
 * MAX_RESOURCES is `invalid_request`; a malformed one `invalid_target` (§2).
 */
export function readResourceParams(params: URLSearchParams): string[] | null {
  const values = params.getAll('resource')
  if (values.length === 0) return null
  if (values.length > MAX_RESOURCES) {
    throw new OAuthError('invalid_request', `Too many resource parameters (at most ${MAX_RESOURCES}).`)
  }
  for (const value of values) {
    const problem = resourceUriProblem(value)
    if (problem) throw new OAuthError('invalid_target', `Invalid resource parameter: ${problem}.`)
  }
  return [...new Set(values)]
}

const unknownResource = () => new OAuthError('invalid_target', 'The resource is unknown or not allowed.')

/**
 * The resources `uris` name, in their order: the built-in API without a query, others from D1 in
 * one read. Null (no `resource` sent) is the built-in API. An unknown URI is `invalid_target`.
 */
export async function resolveResources(db: Db, apiUri: string, uris: ResourceUris): Promise<Resource[]> {
  const others = uris?.filter((uri) => uri !== apiUri) ?? []
  return resourcesFromRows(others.length ? await findResources(db, others) : [], apiUri, uris)
}

/** resolveResources, from registered rows already read (the refresh grant reads them in its one D1 batch). */
export function resourcesFromRows(rows: readonly ResourceRow[], apiUri: string, uris: ResourceUris): Resource[] {
  if (uris === null) return [builtInApi(apiUri)]
  const byUri = new Map(rows.map((row) => [row.uri, fromRow(row)]))
  return uris.map((uri) => {
    const found = uri === apiUri ? builtInApi(apiUri) : byUri.get(uri)
    if (!found) throw unknownResource()
    return found
  })
}

/** The resources as a grant or token records them: null when they are the built-in API alone. */
export function resourceUris(resources: readonly Resource[], apiUri: string): ResourceUris {
  return resources.length === 1 && resources[0]!.uri === apiUri ? null : resources.map((r) => r.uri)
}

/** `resources` as D1 stores them (space-separated), and back. */
export const storedResources = (uris: ResourceUris): string | null => (uris === null ? null : uris.join(' '))
export const parseStoredResources = (stored: string | null | undefined): ResourceUris =>
  stored ? stored.split(' ') : null

/**
 * Whether the resources `wanted` are among those of a grant (`granted`, as stored: null is the
 * built-in API alone): RFC 8707 §2.2's "narrow, never widen", and what consent given before covers.
 */
export const resourcesCovered = (wanted: ResourceUris, granted: ResourceUris, apiUri: string): boolean =>
  (wanted ?? [apiUri]).every((uri) => (granted ?? [apiUri]).includes(uri))

/**
 * The resources a token request may get from a grant given for `granted`: those asked for, if
 * each is among them (§2.2: a token request may narrow, never widen), else all of them.
 */
export function narrowResources(granted: ResourceUris, requested: ResourceUris, apiUri: string): ResourceUris {
  if (requested === null) return granted
  if (!resourcesCovered(requested, granted, apiUri)) throw unknownResource()
  return requested.length === 1 && requested[0] === apiUri ? null : requested
}

/**
 * How a token for `resources` is made: a JWT if any of them wants one (a resource that introspects
 * reads a JWT as well), and the shortest lifetime any of them asks for.
 */
export function accessTarget(resources: readonly Resource[], apiUri: string, settings: Settings): AccessTarget {
  const lifetimes = resources.map((r) => r.accessTokenExpireSeconds ?? settings.accessTokenExpireSeconds)
  return {
    aud: resourceUris(resources, apiUri),
    format: resources.some((r) => r.tokenFormat === 'jwt') ? 'jwt' : 'opaque',
    expiresIn: Math.min(settings.accessTokenExpireSeconds, ...lifetimes),
  }
}

/** What decides the scopes of a request: its kind, the resources it is for, and the client's registered `scope`. */
export type ScopeRules = {
  request: ScopeRequest
  resources: readonly Resource[]
  /** RFC 7591 §2: the scopes the client registered, the most it may ask for; null: no limit. */
  registered: ReadonlySet<string> | null
}

/** The rules for a request of kind `request` by the client `app` (its registered scope) for `resources`. */
export const scopeRules = (
  request: ScopeRequest,
  resources: readonly Resource[],
  app: Pick<Application, 'clientMetadata'>,
): ScopeRules => ({ request, resources, registered: registeredScopes(app) })

/** The scopes a resource accepts: its own list, or (none registered) the API scopes this server defines. */
const scopesOf = (resource: Resource): readonly string[] => resource.scopes ?? API_SCOPES

/** Which of `scopes` are `resource`'s (the consent page lists them under it); this server's own are not. */
export const scopesAt = (resource: Resource, scopes: readonly string[]): string[] =>
  scopes.filter((scope) => !SERVER_SCOPES.has(scope) && scopesOf(resource).includes(scope))

/**
 * Whether a request under `rules` may have `scope`. A scope this server defines (SCOPES) follows
 * its GRANTABLE_SCOPES rules, whatever a resource lists, so no resource can hand out
 * `introspection` or the OpenID Connect scopes to a request that may not have them; the server's
 * own scopes (SERVER_SCOPES) then need no resource, the others one that accepts them. Any other
 * name is a resource's own scope: one of the resources must list it.
 */
function allowed(scope: string, { request, resources, registered }: ScopeRules): boolean {
  if (registered !== null && !registered.has(scope)) return false
  if (Object.hasOwn(SCOPES, scope) && !(GRANTABLE_SCOPES[request] as readonly string[]).includes(scope)) return false
  return SERVER_SCOPES.has(scope) || resources.some((r) => scopesOf(r).includes(scope))
}

/**
 * Checks requested scopes (scopeNames: `null` when none was sent) against `rules`: any scope no
 * requested resource accepts, or outside the client's registered scope, is `invalid_scope`.
 */
export function checkScopes(requested: readonly string[] | null, rules: ScopeRules): void {
  if (requested !== null && !requested.every((scope) => allowed(scope, rules))) throw new OAuthError('invalid_scope')
}

/**
 * The scopes a new grant or a client's token gets: those requested, each allowed (checkScopes),
 * or when none were, every scope of its resources that the request may have, as the built-in API
 * gets `read write groups` (API_SCOPES). None at all is `invalid_scope`.
 */
export function scopesForResources(requested: readonly string[] | null, rules: ScopeRules): string[] {
  checkScopes(requested, rules)
  const defaults = [...new Set(rules.resources.flatMap(scopesOf))].filter(
    (scope) => !SERVER_SCOPES.has(scope) && allowed(scope, rules),
  )
  const scopes = requested ?? defaults
  if (scopes.length === 0) throw new OAuthError('invalid_scope')
  return [...scopes]
}
