/**
 * @module KV cache of documents fetched for clients: Client ID Metadata Documents and jwks_uri
 * JWK Sets, under a digest of their URL (a URL may be longer than a KV key), each with the
 * lifetime its Cache-Control allowed (src/oauth/document-fetch.ts clamps it).
 */
import { KV_MIN_TTL_SECONDS } from '../config'
import { sha256Hex } from '../crypto/token'

export type DocumentKind = 'client-metadata' | 'jwks'

const keyOf = (kind: DocumentKind, url: string) => `doc:${kind}:${sha256Hex(url)}`

/** The cached document, or null when there is none (or it expired). */
export function readCachedDocument(kv: KVNamespace, kind: DocumentKind, url: string) {
  return kv.get<Record<string, unknown>>(keyOf(kind, url), 'json')
}

export function cacheDocument(
  kv: KVNamespace,
  kind: DocumentKind,
  url: string,
  json: Record<string, unknown>,
  ttlSeconds: number,
): Promise<void> {
  return kv.put(keyOf(kind, url), JSON.stringify(json), {
    expirationTtl: Math.max(KV_MIN_TTL_SECONDS, ttlSeconds),
  })
}

/** Drops a cached document, so the next use fetches it again. */
export const forgetDocument = (kv: KVNamespace, kind: DocumentKind, url: string) => kv.delete(keyOf(kind, url))
