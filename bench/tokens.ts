/**
 * @module Tokens for the scenarios, all from the real token endpoints (ours at /o/token/, the
 * peer's at /token), requested through Miniflare's dispatchFetch before any load runs.
 */
import type { Miniflare } from 'miniflare'
import { HOSTS } from './serve'
import { BENCH_JWT_RESOURCE, type BenchClient, insertCodes, type Seeded } from './seed'

export type TokenPair = { access_token: string; refresh_token: string }

export const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`
export const basicFor = (c: BenchClient) => basic(c.clientId, c.secret)

async function post(mf: Miniflare, url: string, authorization: string, form: Record<string, string>) {
  const res = await mf.dispatchFetch(url, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST ${url}: ${res.status} ${text}`)
  return JSON.parse(text)
}

/** One password grant for the first seeded user. */
export function passwordTokens(
  mf: Miniflare,
  seeded: Seeded,
  scope = 'read write groups',
  host: string = HOSTS.app,
): Promise<TokenPair> {
  const form = { grant_type: 'password', username: seeded.firstUser, password: seeded.password, scope }
  return post(mf, `http://${host}/o/token/`, basicFor(seeded.passwordClient), form)
}

/**
 * A JWT access token (RFC 9068) the built-in API accepts, or why there is none: a password grant
 * for two resources (RFC 8707), the JWT-format one seed.ts registers and the built-in API, so the
 * token is a JWT (a resource that wants one gets one) whose `aud` names the API.
 */
export async function jwtAccessToken(mf: Miniflare, seeded: Seeded): Promise<{ token: string } | { skip: string }> {
  const form = new URLSearchParams({
    grant_type: 'password',
    username: seeded.firstUser,
    password: seeded.password,
    scope: 'read write groups',
  })
  for (const resource of [BENCH_JWT_RESOURCE, `http://${HOSTS.app}/`]) form.append('resource', resource)
  const res = await mf.dispatchFetch(`http://${HOSTS.app}/o/token/`, {
    method: 'POST',
    headers: { Authorization: basicFor(seeded.passwordClient), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  const text = await res.text()
  if (res.status !== 200) return { skip: `no JWT access token: the token endpoint said ${res.status} ${text}` }
  const token = (JSON.parse(text) as TokenPair).access_token
  // A JWS compact serialization: three base64url parts (RFC 7515 §7.1).
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return { token }
  return { skip: 'no JWT access token: a grant for a JWT-format resource gave an opaque one' }
}

/** A client_credentials token for the seeded client_credentials app. */
export async function clientToken(mf: Miniflare, seeded: Seeded): Promise<string> {
  const body = await post(mf, `http://${HOSTS.app}/o/token/`, basicFor(seeded.credentialsClient), {
    grant_type: 'client_credentials',
  })
  return body.access_token
}

/**
 * `n` refresh tokens, each from its own grant: authorization codes exchanged at our token
 * endpoint, a few at a time. (A password grant per token would cost a password hash each: ~25 s
 * for the default pool.)
 */
export async function refreshPool(mf: Miniflare, seeded: Seeded, n: number): Promise<string[]> {
  const codes = await insertCodes(mf, seeded, n)
  const exchange = async (code: string) => {
    const form = { grant_type: 'authorization_code', code }
    return (await post(mf, `http://${HOSTS.app}/o/token/`, basicFor(seeded.codeClient), form)).refresh_token as string
  }
  const pool: string[] = []
  for (let i = 0; i < codes.length; i += 8) pool.push(...(await Promise.all(codes.slice(i, i + 8).map(exchange))))
  return pool
}

/** The peer's client, `n` grants (from its own token endpoint) and their tokens. */
export async function peerGrants(mf: Miniflare, n: number): Promise<{ client: BenchClient; grants: TokenPair[] }> {
  const res = await mf.dispatchFetch(`http://${HOSTS.peer}/mint?n=${n}`)
  if (res.status !== 200) throw new Error(`peer /mint: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as { client_id: string; client_secret: string; grants: TokenPair[] }
  return { client: { clientId: body.client_id, secret: body.client_secret }, grants: body.grants }
}
