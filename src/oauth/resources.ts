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
import type { Settings } from '../config'
import type { Db } from '../db/client'
import { OAuthError } from '../errors'
import { findResources, type ResourceRow } from '../store/resources'
import { issuerUrl } from './issuer'

/** More `resource` parameters than this in one request is `invalid_request`: no client needs more. */
export const MAX_RESOURCES = 5

/** The built-in API's scopes: what its RFC 9728 document lists and what its routes check. */
export const API_SCOPES = ['read', 'write', 'groups'] as const

/** The built-in API's name, in its RFC 9728 document and on the consent page. */
export const API_NAME = 'Users and groups API'

/** What a resource asks of the tokens issued for it. */
export type Resource = {
  uri: string
  name: string
  /** The scopes it accepts; null: any scope this server defines. */
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

/**
 * Where a resource's RFC 9728 metadata is (§3.1): `/.well-known/oauth-protected-resource` inserted
 * between the host and the path, a path of "/" alone dropped.
 */
export function resourceMetadataUrl(resourceUri: string): string {
  const url = new URL(resourceUri)
  const suffix = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}/.well-known/oauth-protected-resource${suffix}${url.search}`
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
  if (uris === null) return [builtInApi(apiUri)]
  const others = uris.filter((uri) => uri !== apiUri)
  const rows = others.length ? await findResources(db, others) : []
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
 * The resources a token request may get from a grant given for `granted`: those asked for, if
 * each is among them (§2.2: a token request may narrow, never widen), else all of them.
 */
export function narrowResources(granted: ResourceUris, requested: ResourceUris, apiUri: string): ResourceUris {
  if (requested === null) return granted
  const allowed = granted ?? [apiUri]
  if (!requested.every((uri) => allowed.includes(uri))) throw unknownResource()
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

/** Scopes about this server itself, not about a resource: OpenID Connect's, and introspection. */
const SERVER_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'introspection'])

const accepted = (scope: string, resources: readonly Resource[]) =>
  SERVER_SCOPES.has(scope) || resources.some((r) => r.scopes === null || r.scopes.includes(scope))

/**
 * The scopes a token for `resources` gets: those requested, each accepted by one of them (else
 * `invalid_scope`), or when none were, the `fallback` scopes they accept.
 */
export function scopesForResources<S extends string>(
  requested: readonly S[] | null,
  fallback: readonly S[],
  resources: readonly Resource[],
): S[] {
  const scopes = requested ?? fallback
  const kept = scopes.filter((scope) => accepted(scope, resources))
  if (kept.length === 0 || (requested !== null && kept.length !== scopes.length)) throw new OAuthError('invalid_scope')
  return kept
}
