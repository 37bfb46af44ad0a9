/**
 * @module Fetching a JSON document a client names by URL (its Client ID Metadata Document, its
 * jwks_uri) without letting that URL turn the server against anything else (RFC 7591 §5, the
 * CIMD draft's §6 "server-side request forgery"): https only, no private or link-local targets that
 * can be told from the URL, no redirects followed, a size cap and a timeout. A Worker cannot
 * resolve DNS itself, so a public name that resolves to a private address is not caught here; on
 * Cloudflare, subrequests cannot reach a private network anyway.
 */
import { isLoopbackHost } from './redirect-uris'

/** Why a document could not be used; `detail` says it to a person and names no secret. */
export class DocumentError extends Error {
  constructor(readonly detail: string) {
    super(detail)
    this.name = 'DocumentError'
  }
}

export type DocumentFetchOptions = {
  /** The fetch to use: the global one, or a test's stub (env.DOCUMENT_FETCHER). */
  fetcher: { fetch: typeof fetch }
  /** Plain http to a loopback host with a port, for a server itself on loopback (npm start). */
  allowLoopback: boolean
  maxBytes: number
  timeoutMs?: number
}

/** A fetched document and how long it may be cached, in seconds (Cache-Control, clamped). */
export type FetchedDocument = { json: Record<string, unknown>; maxAge: number }

/** Cache lifetimes: at least 5 minutes (so a client cannot make us fetch on every request), at most a day. */
export const MIN_CACHE_SECONDS = 300
export const MAX_CACHE_SECONDS = 86_400
const TIMEOUT_MS = 5_000

/** IPv4 literals no public document lives at: this network, private, CGNAT, loopback, link-local, reserved. */
function privateIPv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (!m) return false
  const [a, b] = [Number(m[1]), Number(m[2])]
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  )
}

/** IPv6 literals (URL keeps them bracketed): anything but a global unicast address is refused. */
function privateIPv6(host: string): boolean {
  if (!host.startsWith('[')) return false
  const h = host.slice(1, -1).toLowerCase()
  // Global unicast is 2000::/3; everything else (::1, ::, ::ffff:10.0.0.1, fc00::/7, fe80::/10, ff00::/8) is not public.
  return !/^[23][0-9a-f]{0,3}:/.test(h)
}

/** Host names that only mean something inside a network. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|intranet|home\.arpa|lan)$/i

/** Why `url` must not be fetched, or null when it may. */
export function documentUrlProblem(raw: string, allowLoopback: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'The URL is not absolute.'
  }
  if (url.username || url.password) return 'The URL must not contain user information.'
  if (url.hash || raw.includes('#')) return 'The URL must not contain a fragment.'
  const loopbackDev = allowLoopback && url.protocol === 'http:' && isLoopbackHost(url.hostname) && url.port !== ''
  if (loopbackDev) return null
  if (url.protocol !== 'https:') return 'The URL must use https.'
  const host = url.hostname
  const ipv6 = host.startsWith('[')
  if (privateIPv4(host) || privateIPv6(host) || (!ipv6 && (LOCAL_NAME.test(host) || !host.includes('.')))) {
    return 'The URL points at a private or local address.'
  }
  return null
}

/** Seconds the response may be cached: its max-age (0 for no-store/no-cache), clamped to the bounds above. */
export function cacheSeconds(cacheControl: string | null): number {
  const directives = (cacheControl ?? '').toLowerCase()
  const m = /(?:^|[,\s])max-age\s*=\s*(\d+)/.exec(directives)
  const asked = /no-store|no-cache/.test(directives) ? 0 : m ? Number(m[1]) : 0
  return Math.min(MAX_CACHE_SECONDS, Math.max(MIN_CACHE_SECONDS, asked))
}

/** The body, read up to `maxBytes`: a longer one is refused without reading the rest. */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('Content-Length') ?? '0')
  if (declared > maxBytes) throw new DocumentError(`The document is larger than ${maxBytes} bytes.`)
  if (!res.body) return new Uint8Array()
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new DocumentError(`The document is larger than ${maxBytes} bytes.`)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

/** Fetches a JSON object from `url` under every guard above, or throws a DocumentError saying which failed. */
export async function fetchJsonDocument(url: string, opts: DocumentFetchOptions): Promise<FetchedDocument> {
  const problem = documentUrlProblem(url, opts.allowLoopback)
  if (problem) throw new DocumentError(problem)
  let res: Response
  try {
    res = await opts.fetcher.fetch(url, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      // A redirect could lead anywhere the checks above would refuse: it is an error, never followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
    })
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError'
    throw new DocumentError(timedOut ? 'The document did not arrive in time.' : 'The document could not be fetched.')
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel()
    throw new DocumentError('The document URL answered with a redirect, which is not followed.')
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw new DocumentError(`The document URL answered with status ${res.status}.`)
  }
  const bytes = await readCapped(res, opts.maxBytes)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
  } catch {
    throw new DocumentError('The document is not JSON.')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DocumentError('The document is not a JSON object.')
  }
  return { json: json as Record<string, unknown>, maxAge: cacheSeconds(res.headers.get('Cache-Control')) }
}
