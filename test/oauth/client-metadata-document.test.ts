// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): an https client_id
// is the URL of the client's metadata. Fetched through a stubbed fetch (env.DOCUMENT_FETCHER):
// the guards (https, no private targets, no redirects, size cap, timeout), the checks on the
// document, the KV cache, the error page (never a redirect) and invalid_client; then the whole
// code flow with the consent page's marks.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { callWith } from '../helpers/faults'
import { authorizationCodeFlow, authorizeUrl } from '../helpers/flows'
import { REDIRECT } from '../helpers/grants'
import { createApplication, type TestApp } from '../helpers/seed'
import { textOf } from '../helpers/browser'
import { cacheDocument } from '../../src/store/client-documents'
import { cacheSeconds, documentUrlProblem } from '../../src/oauth/document-fetch'

let n = 0
/** A client_id no other test uses, so the KV cache and rows never carry over. */
const newClientUrl = () => `https://tool${++n}.example/oauth/client.json`

const documentFor = (url: string, extra: Record<string, unknown> = {}) => ({
  client_id: url,
  client_name: 'Tool',
  redirect_uris: [REDIRECT],
  ...extra,
})

type Calls = Array<{ url: string; redirect?: string; signal: boolean }>

/** A fetch that answers `respond(url)`, recording each call. */
function stub(respond: (url: string) => Response | Promise<Response>) {
  const calls: Calls = []
  const fetcher = {
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(input), redirect: init?.redirect, signal: init?.signal instanceof AbortSignal })
      return respond(String(input))
    }) as typeof fetch,
  }
  return { fetcher, calls }
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json', ...headers } })

const authorizeAs = async (clientId: string, bindings: Partial<Env>, redirectUri = REDIRECT) => {
  const url = authorizeUrl({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })
  const res = await callWith(bindings, url)
  return { status: res.status, location: res.headers.get('location'), text: textOf(await res.text()) }
}

describe('resolving a client_id URL at /o/authorize/', () => {
  it('fetches the document once (no redirects followed, with a timeout), stores the client, caches it', async () => {
    const url = newClientUrl()
    const { fetcher, calls } = stub(() => json(documentFor(url), { 'Cache-Control': 'max-age=0' }))
    for (let i = 0; i < 2; i++) {
      const res = await authorizeAs(url, { DOCUMENT_FETCHER: fetcher })
      // Accepted: an anonymous user is sent to sign in.
      expect(res.status).toBe(302)
      expect(res.location).toMatch(/^\/accounts\/login\/\?next=/)
    }
    expect(calls).toEqual([{ url, redirect: 'manual', signal: true }])
    const row = await env.DB.prepare(
      'select registration, client_type, authorization_grant_type, name, redirect_uris, client_secret_hash from applications where client_id = ?',
    )
      .bind(url)
      .first()
    expect(row).toEqual({
      registration: 'metadata-document',
      client_type: 'public',
      authorization_grant_type: 'authorization-code',
      name: 'Tool',
      redirect_uris: REDIRECT,
      client_secret_hash: null,
    })
  })

  const refusals: Array<[string, (url: string) => Response | Promise<Response>, RegExp]> = [
    [
      'a document naming another client_id',
      () => json(documentFor('https://else.example/c.json')),
      /client_id is not the URL/,
    ],
    [
      'a document with a secret',
      (u) => json(documentFor(u, { client_secret: 's' })),
      /must not contain a client secret/,
    ],
    [
      'client_secret_basic',
      (u) => json(documentFor(u, { token_endpoint_auth_method: 'client_secret_basic' })),
      /token_endpoint_auth_method/,
    ],
    [
      'a javascript: redirect URI',
      (u) => json(documentFor(u, { redirect_uris: ['javascript:alert(1)'] })),
      /redirect URI/,
    ],
    ['a 404', () => new Response('gone', { status: 404 }), /status 404/],
    [
      'a redirect',
      () => new Response(null, { status: 302, headers: { Location: 'http://169.254.169.254/' } }),
      /redirect, which is not followed/,
    ],
    ['a document over 5 KB', (u) => json(documentFor(u, { client_name: 'x'.repeat(6000) })), /larger than 5120 bytes/],
    [
      'an undeclared oversized body',
      () => new Response(new Blob(['{"a":"', 'x'.repeat(9000), '"}']).stream()),
      /larger than 5120 bytes/,
    ],
    ['not JSON', () => new Response('<html>'), /not JSON/],
    ['a JSON array', () => json([1]), /not a JSON object/],
    [
      'a timeout',
      () => Promise.reject(new DOMException('The operation timed out.', 'TimeoutError')),
      /did not arrive in time/,
    ],
    ['a network failure', () => Promise.reject(new TypeError('connection refused')), /could not be fetched/],
  ]
  it.each(refusals)('refuses %s: a 400 page, never a redirect', async (_, respond, message) => {
    const url = newClientUrl()
    const { fetcher, calls } = stub(respond)
    const res = await authorizeAs(url, { DOCUMENT_FETCHER: fetcher })
    expect(res.status).toBe(400)
    expect(res.location).toBeNull()
    expect(res.text).toMatch(message)
    expect(calls).toHaveLength(1)
    expect(await env.DB.prepare('select 1 from applications where client_id = ?').bind(url).first()).toBeNull()
  })

  it.each([
    ['a private address', 'https://10.0.0.7/client.json', /private or local/],
    ['the metadata service', 'https://169.254.169.254/latest/client.json', /private or local/],
    ['an IPv6 loopback', 'https://[::1]/client.json', /private or local/],
    ['a local name', 'https://printer.local/client.json', /private or local/],
    ['userinfo', 'https://user@tool.example/client.json', /user information/],
    ['no path', 'https://tool.example/', /must have a path/],
    ['an upper-case host (another spelling)', 'https://Tool.example/client.json', /normal form/],
    ['dot segments', 'https://tool.example/a/../client.json', /normal form/],
  ])('refuses %s without fetching anything', async (_, url, message) => {
    const { fetcher, calls } = stub(() => json(documentFor(url)))
    const res = await authorizeAs(url, { DOCUMENT_FETCHER: fetcher })
    expect(res.status).toBe(400)
    expect(res.location).toBeNull()
    expect(res.text).toMatch(message)
    expect(calls).toEqual([])
  })

  it('a redirect_uri the document does not list is refused on the page', async () => {
    const url = newClientUrl()
    const { fetcher } = stub(() => json(documentFor(url)))
    const res = await authorizeAs(url, { DOCUMENT_FETCHER: fetcher }, 'https://attacker.example/cb')
    expect(res.status).toBe(400)
    expect(res.location).toBeNull()
    expect(res.text).toMatch(/Mismatching redirect URI/)
  })

  it('plain http on loopback only while the server itself is on loopback (npm start)', async () => {
    const url = 'http://127.0.0.1:9911/client.json'
    const { fetcher, calls } = stub(() => json(documentFor(url)))
    expect((await authorizeAs(url, { DOCUMENT_FETCHER: fetcher })).status).toBe(302)
    const deployed = await authorizeAs(url, { DOCUMENT_FETCHER: fetcher, ISSUER: 'https://auth.example.com' })
    expect(deployed.status).toBe(400)
    expect(deployed.text).toMatch(/no application has this client id/)
    expect(calls).toHaveLength(1)
  })
})

describe('a client_id URL at /o/token/', () => {
  it('a document that fails a check is invalid_client', async () => {
    const url = newClientUrl()
    const { fetcher } = stub(() => new Response('nope', { status: 500 }))
    const res = await read(
      await callWith({ DOCUMENT_FETCHER: fetcher }, '/o/token/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: url }).toString(),
      }),
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
  })
})

describe('the whole flow and the consent page', () => {
  it('a metadata-document client gets a code and tokens; the page says "not verified" and shows its host', async () => {
    const url = newClientUrl()
    await cacheDocument(env.TOKENS, 'client-metadata', url, documentFor(url, { client_name: 'Totally Official' }), 300)
    const app = { clientId: url, clientSecret: null } as TestApp
    const { consent, tokens } = await authorizationCodeFlow({ app, scope: 'read' })
    const text = textOf(consent.html)
    expect(text).toMatch(/Not verified\. This application registered itself/)
    expect(text).toContain(`It is run from ${new URL(url).host} .`)
    expect(tokens.scope).toBe('read')
  })

  it('a dynamically registered client is marked too, with the host it redirects to; a manual one is not', async () => {
    const res = await read(
      await call('/o/register/', {
        json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
        headers: { 'CF-Connecting-IP': '192.0.2.99' },
      }),
    )
    const dynamic = { clientId: res.body.client_id, clientSecret: null } as TestApp
    const marked = textOf((await authorizationCodeFlow({ app: dynamic })).consent.html)
    expect(marked).toContain('Not verified.')
    expect(marked).toContain('It is run from 127.0.0.1:8009 .')
    const manual = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    expect(textOf((await authorizationCodeFlow({ app: manual })).consent.html)).not.toContain('Not verified')
  })
})

describe('the guards, directly', () => {
  it.each([
    [null, 300],
    ['no-store', 300],
    ['max-age=10', 300],
    ['public, max-age=3600', 3600],
    ['max-age=999999', 86_400],
  ])('Cache-Control %s → cached %i s', (header, seconds) => {
    expect(cacheSeconds(header)).toBe(seconds)
  })

  it.each([
    ['https://example.com/c.json', null],
    ['https://192.168.1.4/c.json', 'The URL points at a private or local address.'],
    ['https://172.20.0.1/c.json', 'The URL points at a private or local address.'],
    ['https://100.64.0.1/c.json', 'The URL points at a private or local address.'],
    ['https://0.0.0.0/c.json', 'The URL points at a private or local address.'],
    ['https://[fd00::1]/c.json', 'The URL points at a private or local address.'],
    ['https://[fe80::1]/c.json', 'The URL points at a private or local address.'],
    ['https://[::ffff:10.0.0.1]/c.json', 'The URL points at a private or local address.'],
    ['https://[2606:4700::1]/c.json', null],
    ['https://intranet/c.json', 'The URL points at a private or local address.'],
    ['https://db.internal/c.json', 'The URL points at a private or local address.'],
    ['http://example.com/c.json', 'The URL must use https.'],
    ['http://127.0.0.1/c.json', 'The URL must use https.'],
    ['ftp://example.com/c.json', 'The URL must use https.'],
    ['https://example.com/c.json#x', 'The URL must not contain a fragment.'],
  ])('%s → %s', (url, problem) => {
    expect(documentUrlProblem(url, true)).toBe(problem)
  })
})
