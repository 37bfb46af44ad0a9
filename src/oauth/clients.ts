/**
 * @module Finding the client a request names, whichever way it was registered: a row of the
 * applications table, or a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
 * a client_id that is an https URL is the address of a JSON document describing the client. The
 * document is fetched under the guards of document-fetch.ts, checked as registration metadata,
 * cached in KV for as long as its Cache-Control allows (within bounds), and mirrored into an
 * applications row (registration = 'metadata-document') so that codes and grants can refer to it.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { OAuthError } from '../errors'
import { systemClock } from '../clock'
import {
  type Application,
  findApplicationByClientId,
  noteApplicationUse,
  upsertDocumentClient,
} from '../store/applications'
import { cacheDocument, readCachedDocument } from '../store/client-documents'
import { readClientMetadata } from './client-metadata'
import { DocumentError, documentUrlProblem, fetchJsonDocument, MIN_CACHE_SECONDS } from './document-fetch'
import { issuerUrl } from './issuer'
import { isLoopbackHost } from './redirect-uris'

/** The draft's §6.6 suggests servers accept documents of at least 5 KB; this is the cap. */
export const MAX_DOCUMENT_BYTES = 5 * 1024

/**
 * Whether plain http on loopback is allowed for documents: only while this server itself runs on
 * a loopback address (npm start), so a deployment never fetches from one.
 */
export const allowsLoopbackDocuments = (c: Context<AppEnv>) => isLoopbackHost(new URL(issuerUrl(c)).hostname)

/** The fetch documents go through: a test's stub (env.DOCUMENT_FETCHER), else the runtime's. */
export const documentFetcher = (env: Env): { fetch: typeof fetch } =>
  // The global fetch must be called unbound: as a method of another object it throws "Illegal invocation".
  env.DOCUMENT_FETCHER ?? { fetch: (input, init) => fetch(input, init) }

/** Whether `clientId` names a metadata document rather than a registered row. */
export function isDocumentClientId(clientId: string, allowLoopback: boolean): boolean {
  return clientId.startsWith('https://') || (allowLoopback && /^http:\/\/(127\.0\.0\.1|localhost):\d/.test(clientId))
}

/** Why `url` cannot be a client_id (the draft's §3: a path, no fragment, no dot segments, one spelling only). */
function clientIdUrlProblem(url: string, allowLoopback: boolean): string | null {
  const problem = documentUrlProblem(url, allowLoopback)
  if (problem) return problem
  const parsed = new URL(url)
  if (parsed.pathname === '/') return 'The client_id URL must have a path.'
  // One document, one spelling: a URL that normalises into another would be a second client_id for it.
  if (parsed.href !== url || /\/\.\.?(\/|$)/.test(url)) return 'The client_id URL is not in its normal form.'
  return null
}

/** The application row's columns a document decides, or a DocumentError for the first problem. */
function readDocument(doc: Record<string, unknown>, url: string, allowLoopback: boolean) {
  if (doc.client_id !== url) throw new DocumentError("The document's client_id is not the URL it was fetched from.")
  // §4.1: a document is public; a secret in it would be no secret.
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) {
    throw new DocumentError('The document must not contain a client secret.')
  }
  try {
    const { fields } = readClientMetadata(doc, {
      passwordGrantEnabled: false,
      allowLoopback,
      defaultAuthMethod: 'none',
      authMethods: ['none', 'private_key_jwt'],
    })
    if (fields.authorizationGrantType !== 'authorization-code') {
      throw new DocumentError('A metadata document client may use the authorization code grant only.')
    }
    return { ...fields, name: fields.name || new URL(url).host }
  } catch (err) {
    if (err instanceof OAuthError) throw new DocumentError(err.description ?? err.code)
    throw err
  }
}

/**
 * The metadata document client at `url`: from the cache and its row when both are there (one KV
 * and one D1 read, side by side), else fetched, checked, stored and cached.
 */
async function findDocumentClient(c: Context<AppEnv>, url: string): Promise<Application> {
  const allowLoopback = allowsLoopbackDocuments(c)
  const problem = clientIdUrlProblem(url, allowLoopback)
  if (problem) throw new DocumentError(problem)
  const db = c.get('db')
  const kv = c.env.TOKENS
  const [cached, row] = await Promise.all([
    readCachedDocument(kv, 'client-metadata', url),
    findApplicationByClientId(db, url),
  ])
  if (cached && row?.registration === 'metadata-document') return row
  let doc = cached
  let maxAge = MIN_CACHE_SECONDS
  if (!doc) {
    const fetched = await fetchJsonDocument(url, {
      fetcher: documentFetcher(c.env),
      allowLoopback,
      maxBytes: MAX_DOCUMENT_BYTES,
    })
    doc = fetched.json
    maxAge = fetched.maxAge
  }
  const fields = readDocument(doc, url, allowLoopback)
  const stored = await upsertDocumentClient(db, { clientId: url, clientSecretHash: null, ...fields })
  if (!stored) throw new DocumentError('This client_id is registered to another client.')
  if (!cached) await cacheDocument(kv, 'client-metadata', url, doc, maxAge)
  return stored
}

/**
 * The client `clientId` names, or undefined when there is none; a metadata document that cannot
 * be used throws a DocumentError (the authorization page shows it; the token endpoint says
 * invalid_client). A self-registered client's use is noted for the unused-client cleanup.
 */
export async function findClient(c: Context<AppEnv>, clientId: string): Promise<Application | undefined> {
  // Only a client_id that starts like a URL costs the loopback check (settings, URL parse): not the hot path's.
  const fromDocument = clientId.startsWith('http') && isDocumentClientId(clientId, allowsLoopbackDocuments(c))
  const row = fromDocument
    ? await findDocumentClient(c, clientId)
    : await findApplicationByClientId(c.get('db'), clientId)
  // A document client's row stands for its document: one this server would not fetch now (plain
  // http off loopback) is no client.
  const app = !fromDocument && row?.registration === 'metadata-document' ? undefined : row
  if (app) await noteApplicationUse(c.get('db'), app, systemClock.now())
  return app
}

/** Whether dynamic registration is open, by token, or off: the CLIENT_REGISTRATION var, else by where the server runs. */
export function registrationPolicy(c: Context<AppEnv>) {
  const set = readSettings(c.env).clientRegistration
  if (set) return set
  return allowsLoopbackDocuments(c) ? 'open' : 'initial-access-token'
}
