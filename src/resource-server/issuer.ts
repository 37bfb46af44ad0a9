/**
 * @module What the resource server learns from the authorization server, fetched once and kept:
 * its RFC 8414 metadata (for `jwks_uri` and `introspection_endpoint`) and its signing keys (the JWKS).
 * Keys are refreshed when a token names a `kid` the cached set lacks (the server rotated), at most
 * once per cooldown, so a flood of tokens with made-up `kid`s cannot turn into a flood of fetches.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, type CryptoKey } from 'jose'
import { AccessTokenRefused } from './challenge'

/** Anything with a `fetch`: a Service Binding (`env.AUTH`), or `{ fetch }` for the public internet. */
export type FetcherLike = { fetch(input: Request | string, init?: RequestInit): Promise<Response> }

/** How long the metadata and a key set are trusted before they are fetched again. */
const MAX_AGE_MS = 10 * 60_000
/** The least time between two key-set fetches caused by an unknown `kid`. */
export const REFRESH_COOLDOWN_MS = 30_000

/** The authorization server could not be asked: the request fails with 503, not as a bad token. */
const unavailable = () =>
  new AccessTokenRefused(503, 'temporarily_unavailable', 'The authorization server is unreachable.')

async function fetchJson(fetcher: FetcherLike, url: string): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetcher.fetch(url, { headers: { Accept: 'application/json' } })
  } catch {
    throw unavailable()
  }
  if (!response.ok) throw unavailable()
  const body: unknown = await response.json().catch(() => null)
  if (typeof body !== 'object' || body === null) throw unavailable()
  return body as Record<string, unknown>
}

/** The RFC 8414 §3.1 metadata URL: the well-known suffix goes between the host and the issuer's path. */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

export type IssuerMetadata = { jwks_uri?: string; introspection_endpoint?: string }

/** One fetch shared by the requests waiting on it, kept for MAX_AGE_MS; a failed fetch is not kept. */
function cached<T>(load: () => Promise<T>, now: () => number): { get(): Promise<T>; refresh(): Promise<T> } {
  let value: Promise<T> | undefined
  let at = 0
  const refresh = () => {
    at = now()
    value = load()
    value.catch(() => {
      value = undefined
    })
    return value
  }
  return { get: () => (value && now() - at < MAX_AGE_MS ? value : refresh()), refresh }
}

/** The issuer's metadata; its `issuer` must be the one configured (RFC 8414 §3.3), or it is not used. */
export function issuerMetadata(issuer: string, fetcher: () => FetcherLike, now = Date.now) {
  return cached(async (): Promise<IssuerMetadata> => {
    const doc = await fetchJson(fetcher(), metadataUrl(issuer))
    if (doc.issuer !== issuer) throw unavailable()
    return doc as IssuerMetadata
  }, now)
}

export type KeyResolver = (header: JWTHeaderParameters) => Promise<CryptoKey>

/** The key a token's header names, from the issuer's JWKS; an unknown `kid` refreshes the set (rate-limited). */
export function issuerKeys(jwksUri: () => Promise<string>, fetcher: () => FetcherLike, now = Date.now): KeyResolver {
  let lastFetch = 0
  const keySet = cached(async () => {
    lastFetch = now()
    const doc = await fetchJson(fetcher(), await jwksUri())
    if (!Array.isArray(doc.keys)) throw unavailable()
    return createLocalJWKSet(doc as unknown as JSONWebKeySet)
  }, now)
  return async function keyFor(header) {
    try {
      return await (await keySet.get())(header)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - lastFetch < REFRESH_COOLDOWN_MS) throw error
      return (await keySet.refresh())(header)
    }
  }
}
