/**
 * @module What `npm run bench` measures: the floors (bench/floor-worker.ts), our endpoints, each
 * against the floor of the storage it cannot avoid, and the peer (bench/peer-worker.ts).
 */
import { sha256Hex } from '../src/crypto/token'
import { HOSTS } from './serve'
import type { Seeded } from './seed'
import { basicFor } from './tokens'
import type { WrkRequest } from './wrk'

export type FloorName =
  | 'json'
  | 'kv get'
  | 'd1 get'
  | 'kv get + d1 get'
  | 'd1 get + kv put'
  | 'd1 get + kv get + d1 get'
  | 'verify password'
  | 'refresh: one batch'
  | 'refresh: kv only'

export type Scenario = {
  name: string
  request: WrkRequest
  floor: FloorName
  /** Our scenario this one is compared with, for the peer's rows. */
  peerOf?: string
  /** The peer's row this one of ours is also compared with (the JWT bearer read). */
  peerRow?: string
  /** Our scenario this one is measured interleaved with, for django-oauth-toolkit's rows (bench/dot.ts). */
  dotOf?: string
  /** Why the row cannot run here (printed instead of it), e.g. a format this build does not issue. */
  skip?: string
}

/** What the scenarios need from setup. */
export type Fixtures = {
  seeded: Seeded
  userPk: number
  accessToken: string
  /** A JWT access token for the same user (bench/tokens.ts), or why this build has none. */
  jwt: { token: string } | { skip: string }
  /** A file of refresh tokens, one a line, rewritten by each run (bench/lua/refresh-chain.lua). */
  refreshPoolFile: string
  peer: { accessToken: string; basic: string; refreshPoolFile: string }
}

/** For requests that take 0.1 s of CPU or more: enough to keep the isolate busy (two per wrk thread). */
const HEAVY_CONNECTIONS = 4

/** A password hash takes ~0.3 s here: 2 s slices, so the share it has of the grant is not a count of a few requests. */
const HASHING = { connections: HEAVY_CONNECTIONS, seconds: 2 }

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }

/** The floors, with the same keys and ids the scenarios read. */
export function floors(f: Fixtures): Record<FloorName, WrkRequest> {
  const k = `access:${sha256Hex(f.accessToken)}`
  const client = f.seeded.credentialsClient.clientId
  // The refresh floors rotate the bench token's own grant, of the password client.
  const owner = f.seeded.passwordClient.clientId
  const at = (path: string) => ({ host: HOSTS.floor, path })
  return {
    json: at('/json'),
    'kv get': at(`/kv-get?k=${k}`),
    'd1 get': at(`/d1-get?id=${f.userPk}`),
    'kv get + d1 get': at(`/kv-get-d1-get?k=${k}&id=${f.userPk}`),
    'd1 get + kv put': at(`/d1-get-kv-put?client=${client}`),
    'd1 get + kv get + d1 get': at(`/d1-get-kv-get-d1-get?client=${client}&k=${k}&id=${f.userPk}`),
    'verify password': { ...at('/verify-password'), ...HASHING },
    'refresh: one batch': at(`/refresh-one-batch?client=${owner}&k=${k}`),
    'refresh: kv only': at(`/refresh-kv-only?k=${k}`),
  }
}

/** Our endpoints; each of the peer's right after the one of ours it is compared with. */
export function scenarios(f: Fixtures, users: number): Scenario[] {
  const bearer = { Authorization: `Bearer ${f.accessToken}` }
  const cc = basicFor(f.seeded.credentialsClient)
  const app = (path: string, more: Partial<WrkRequest> = {}) => ({ host: HOSTS.app, path, ...more })
  const chain = (file: string) => ({ script: 'refresh-chain.lua', env: { BENCH_TOKENS: file } })
  return [
    {
      name: 'GET /users/<pk>/ (bearer)',
      floor: 'kv get + d1 get',
      request: app(`/users/${f.userPk}/`, { headers: bearer }),
    },
    {
      name: 'peer: GET /api/users/<pk>/ (bearer)',
      floor: 'kv get + d1 get',
      peerOf: 'GET /users/<pk>/ (bearer)',
      request: {
        host: HOSTS.peer,
        path: `/api/users/${f.userPk}/`,
        headers: { Authorization: `Bearer ${f.peer.accessToken}` },
      },
    },
    {
      // A JWT access token (RFC 9068) for the built-in API among its audiences: the signature is
      // checked locally and the one D1 statement checks the user and the token's grant together
      // (revocation is still seen at once: docs/performance.md, "Bearer checks"), with no KV read,
      // so the floor is the one D1 read.
      name: 'GET /users/<pk>/ (JWT bearer)',
      floor: 'd1 get',
      peerRow: 'peer: GET /api/users/<pk>/ (bearer)',
      request: app(`/users/${f.userPk}/`, {
        headers: { Authorization: `Bearer ${'token' in f.jwt ? f.jwt.token : ''}` },
      }),
      ...('skip' in f.jwt && { skip: f.jwt.skip }),
    },
    {
      name: 'GET /groups/ (bearer, 50 groups)',
      floor: 'kv get + d1 get',
      request: app('/groups/', { headers: bearer }),
    },
    {
      name: `GET /users/ (${users} users, plain list)`,
      floor: 'kv get + d1 get',
      // Every user in one answer: at 100,000 users each takes seconds, so fewer connections, longer runs.
      request: app('/users/', {
        headers: bearer,
        ...(users > 10_000 && { connections: HEAVY_CONNECTIONS, seconds: 5 }),
      }),
    },
    {
      name: `GET /users/ (${users} users, PAGE_SIZE=100)`,
      floor: 'kv get + d1 get',
      request: { host: HOSTS.paged, path: '/users/', headers: bearer },
    },
    {
      name: 'GET /users/<pk>/ bad token (401)',
      floor: 'kv get',
      request: app(`/users/${f.userPk}/`, { headers: { Authorization: 'Bearer not-a-token' }, expect: 401 }),
    },
    {
      name: 'POST /o/token/ client_credentials',
      floor: 'd1 get + kv put',
      request: app('/o/token/', {
        method: 'POST',
        headers: { ...FORM, Authorization: cc },
        body: 'grant_type=client_credentials',
      }),
    },
    {
      name: 'POST /o/token/ refresh_token',
      floor: 'refresh: one batch',
      request: app('/o/token/', {
        headers: { Authorization: basicFor(f.seeded.codeClient) },
        ...chain(f.refreshPoolFile),
      }),
    },
    {
      name: 'peer: POST /token refresh_token',
      floor: 'refresh: kv only',
      peerOf: 'POST /o/token/ refresh_token',
      request: {
        host: HOSTS.peer,
        path: '/token',
        headers: { Authorization: f.peer.basic },
        ...chain(f.peer.refreshPoolFile),
      },
    },
    {
      name: 'POST /o/token/ password',
      floor: 'verify password',
      request: app('/o/token/', {
        method: 'POST',
        headers: { ...FORM, Authorization: basicFor(f.seeded.passwordClient) },
        ...HASHING,
        body: new URLSearchParams({
          grant_type: 'password',
          username: f.seeded.firstUser,
          password: f.seeded.password,
          scope: 'read',
        }).toString(),
      }),
    },
    {
      name: 'POST /o/introspect/',
      floor: 'd1 get + kv get + d1 get',
      request: app('/o/introspect/', {
        method: 'POST',
        headers: { ...FORM, Authorization: cc },
        body: `token=${f.accessToken}`,
      }),
    },
  ]
}
