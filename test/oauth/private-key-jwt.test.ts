// private_key_jwt client authentication (RFC 7523 §2.2, §3) at the token, revocation and
// introspection endpoints: each algorithm, each claim rule, single-use jti under concurrency,
// keys registered inline or fetched from jwks_uri (a stubbed fetch), and no mixing with secrets.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, ORIGIN, read } from '../helpers/http'
import { callWith } from '../helpers/faults'
import { assertionForm, clientKey, jwtClient, signAssertion } from '../helpers/client-assertion'
import { storageSnapshot } from '../helpers/fuzz'
import { createUser, PASSWORD, type TestApp } from '../helpers/seed'

const CC = { grant_type: 'client_credentials' }
const token = (form: Record<string, string>, headers?: Record<string, string>) =>
  call('/o/token/', { form, headers }).then(read)
const INVALID_CLIENT = { error: 'invalid_client' }

describe('private_key_jwt at /o/token/', () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)('%s: a signed assertion authenticates the client', async (alg) => {
    const key = await clientKey(alg)
    const app = await jwtClient(key)
    const res = await token({ ...CC, ...assertionForm(await signAssertion(app.clientId, key)) })
    expect(res.status).toBe(200)
    expect(res.body.token_type).toBe('Bearer')
  })

  it('accepts the issuer as aud, and a client_id beside the assertion when it names the same client', async () => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const byIssuer = await signAssertion(app.clientId, key, { aud: ORIGIN })
    expect((await token({ ...CC, ...assertionForm(byIssuer) })).status).toBe(200)
    const withId = await signAssertion(app.clientId, key)
    expect((await token({ ...CC, client_id: app.clientId, ...assertionForm(withId) })).status).toBe(200)
  })

  it('a replayed assertion is refused; of concurrent uses of one assertion exactly one succeeds', async () => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const once = await signAssertion(app.clientId, key)
    expect((await token({ ...CC, ...assertionForm(once) })).status).toBe(200)
    const replay = await token({ ...CC, ...assertionForm(once) })
    expect(replay.status).toBe(401)
    expect(replay.body).toEqual(INVALID_CLIENT)

    const shared = await signAssertion(app.clientId, key)
    const results = await Promise.all([...Array(8)].map(() => token({ ...CC, ...assertionForm(shared) })))
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401])
  })

  it('the same jti from two clients is two assertions', async () => {
    const key = await clientKey()
    const [a, b] = [await jwtClient(key), await jwtClient(key)]
    for (const app of [a, b]) {
      const assertion = await signAssertion(app.clientId, key, { jti: 'shared-jti' })
      expect((await token({ ...CC, ...assertionForm(assertion) })).status).toBe(200)
    }
  })

  const now = () => Math.floor(Date.now() / 1000)
  it.each([
    ['another key', async (id: string) => signAssertion(id, await clientKey())],
    [
      'iss not the client',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => signAssertion(id, k, { iss: 'x' }),
    ],
    [
      'sub another client',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => signAssertion(id, k, { sub: 'x' }),
    ],
    [
      'aud elsewhere',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) =>
        signAssertion(id, k, { aud: 'https://other.example/o/token/' }),
    ],
    [
      'expired',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => signAssertion(id, k, { exp: now() - 120 }),
    ],
    [
      'an exp an hour away',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => signAssertion(id, k, { exp: now() + 3600 }),
    ],
    ['no jti', async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => signAssertion(id, k, { jti: null })],
    [
      'a tampered payload',
      async (id: string, k: Awaited<ReturnType<typeof clientKey>>) => {
        const [h, , s] = (await signAssertion(id, k)).split('.')
        const payload = btoa(JSON.stringify({ iss: id, sub: id, aud: `${ORIGIN}/o/token/`, exp: now() + 60, jti: 'j' }))
        return `${h}.${payload.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.${s}`
      },
    ],
    [
      'alg none',
      async (id: string) => {
        const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '')
        return `${b64({ alg: 'none' })}.${b64({ iss: id, sub: id, aud: `${ORIGIN}/o/token/`, exp: now() + 60, jti: 'n' })}.`
      },
    ],
    ['not a JWT', async () => 'not.a.jwt'],
  ])('refuses %s: 401 invalid_client with a challenge', async (_, make) => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const res = await token({ ...CC, ...assertionForm(await make(app.clientId, key)) })
    expect(res.status).toBe(401)
    expect(res.body).toEqual(INVALID_CLIENT)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="oauth"')
  })

  it('refuses the wrong assertion type, a secret beside an assertion, and a jwt client without its assertion', async () => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const assertion = await signAssertion(app.clientId, key)
    const wrongType = await token({ ...CC, client_assertion_type: 'urn:x', client_assertion: assertion })
    expect(wrongType.status).toBe(401)
    const both = await token({ ...CC, ...assertionForm(assertion), client_secret: 'x' })
    expect(both).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The client must use only one authentication method.' },
    })
    const mismatch = await token({ ...CC, client_id: 'someone-else', ...assertionForm(assertion) })
    expect(mismatch.status).toBe(401)
    // The client registered private_key_jwt: presenting only its id (as a public client would) is refused.
    expect((await token({ ...CC, client_id: app.clientId })).status).toBe(401)
  })

  it('a client with a secret cannot switch to an assertion', async () => {
    const key = await clientKey()
    const app = await jwtClient(key, { tokenEndpointAuthMethod: null, clientSecretHash: 'x' })
    const res = await token({ ...CC, ...assertionForm(await signAssertion(app.clientId, key)) })
    expect(res.status).toBe(401)
  })
})

describe('private_key_jwt at /o/revoke_token/ and /o/introspect/', () => {
  it('authenticates there too, with aud the token endpoint, the issuer, or the endpoint itself', async () => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const issued = await token({
      ...CC,
      scope: 'introspection',
      ...assertionForm(await signAssertion(app.clientId, key)),
    })
    const accessToken = issued.body.access_token
    const introspect = async (aud?: string) =>
      call('/o/introspect/', {
        form: { token: accessToken, ...assertionForm(await signAssertion(app.clientId, key, { aud })) },
      }).then(read)
    expect((await introspect()).body).toMatchObject({ active: true, client_id: app.clientId })
    expect((await introspect(`${ORIGIN}/o/introspect/`)).body.active).toBe(true)
    expect((await introspect(ORIGIN)).body.active).toBe(true)
    const revoke = await call('/o/revoke_token/', {
      form: { token: accessToken, ...assertionForm(await signAssertion(app.clientId, key)) },
    })
    expect(revoke.status).toBe(200)
    expect((await introspect()).body).toEqual({ active: false })
    const replayAt = await signAssertion(app.clientId, key)
    await call('/o/revoke_token/', { form: { token: 'x', ...assertionForm(replayAt) } })
    const replayed = await call('/o/revoke_token/', { form: { token: 'x', ...assertionForm(replayAt) } }).then(read)
    expect(replayed.status).toBe(401)
  })
})

describe('keys from jwks_uri', () => {
  const JWKS_URI = 'https://client.example/jwks.json'

  /** A stub for the document fetch, counting calls. */
  function stubFetcher(body: () => unknown, headers: Record<string, string> = {}) {
    const calls: Array<{ url: string; redirect?: string }> = []
    const fetcher = {
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        calls.push({ url: String(input), redirect: init?.redirect })
        return new Response(JSON.stringify(body()), {
          headers: { 'Content-Type': 'application/json', ...headers },
        })
      }) as typeof fetch,
    }
    return { fetcher, calls }
  }

  const tokenWith = async (bindings: Partial<Env>, form: Record<string, string>) =>
    read(
      await callWith(bindings, '/o/token/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }),
    )

  it('fetches the key set once, without following redirects, and caches it', async () => {
    const key = await clientKey()
    const app = await jwtClient(key, { jwks: null, jwksUri: JWKS_URI })
    const { fetcher, calls } = stubFetcher(() => ({ keys: [key.jwk] }), { 'Cache-Control': 'max-age=600' })
    for (let i = 0; i < 2; i++) {
      const res = await tokenWith(
        { DOCUMENT_FETCHER: fetcher },
        { ...CC, ...assertionForm(await signAssertion(app.clientId, key)) },
      )
      expect(res.status).toBe(200)
    }
    expect(calls).toEqual([{ url: JWKS_URI, redirect: 'manual' }])
  })

  it('a key set that cannot be fetched, or lacks the key, is invalid_client', async () => {
    const key = await clientKey()
    const other = await clientKey()
    const app = await jwtClient(key, { jwks: null, jwksUri: 'https://client.example/other-jwks.json' })
    const { fetcher } = stubFetcher(() => ({ keys: [other.jwk] }))
    const res = await tokenWith(
      { DOCUMENT_FETCHER: fetcher },
      { ...CC, ...assertionForm(await signAssertion(app.clientId, key)) },
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual(INVALID_CLIENT)
    const broken = await jwtClient(key, { jwks: null, jwksUri: 'https://client.example/broken.json' })
    const failing = { fetch: (async () => new Response('nope', { status: 500 })) as typeof fetch }
    const res2 = await tokenWith(
      { DOCUMENT_FETCHER: failing },
      { ...CC, ...assertionForm(await signAssertion(broken.clientId, key)) },
    )
    expect(res2.status).toBe(401)
  })

  it('records each accepted jti in D1 until it expires', async () => {
    const key = await clientKey()
    const app = await jwtClient(key)
    const before = await env.DB.prepare('select count(*) as n from client_assertions').first<number>('n')
    await token({ ...CC, ...assertionForm(await signAssertion(app.clientId, key)) })
    expect(await env.DB.prepare('select count(*) as n from client_assertions').first<number>('n')).toBe(before! + 1)
  })
})

// The refresh grant reads the client's row in its own D1 batch when the client uses a secret or
// none; a private_key_jwt client must still be authenticated by its assertion, and never by less.
describe('private_key_jwt and the refresh grant', () => {
  /** A private_key_jwt client of the password grant, and a grant it holds. */
  async function grantedToJwtClient() {
    const key = await clientKey()
    const app = await jwtClient(key, { authorizationGrantType: 'password' })
    const user = await createUser()
    const first = await token({
      grant_type: 'password',
      username: user.username,
      password: PASSWORD,
      ...assertionForm(await signAssertion(app.clientId, key)),
    })
    expect(first.status).toBe(200)
    return { key, app, first: first.body as { access_token: string; refresh_token: string } }
  }
  const usersStatus = async (t: string) => (await call('/users/', { token: t })).status

  it('a refresh with the client’s assertion rotates: the new tokens work, the old ones stop', async () => {
    const { key, app, first } = await grantedToJwtClient()
    const assertion = assertionForm(await signAssertion(app.clientId, key))
    const next = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, ...assertion })
    expect(next.status).toBe(200)
    expect(next.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      refresh_token: expect.any(String),
      scope: 'read write groups',
    })
    expect(await usersStatus(next.body.access_token)).toBe(200)
    expect(await usersStatus(first.access_token)).toBe(401)
  })

  it.each([
    ['client_id alone', (app: TestApp) => ({ client_id: app.clientId })],
    ['a client_secret', (app: TestApp) => ({ client_id: app.clientId, client_secret: 'guess' })],
    ['a replayed assertion', (_: TestApp, used: string) => assertionForm(used)],
  ])('%s is invalid_client and changes nothing; the refresh token still works', async (_, creds) => {
    const { key, app, first } = await grantedToJwtClient()
    const used = await signAssertion(app.clientId, key)
    const spent = await token({ grant_type: 'client_credentials', ...assertionForm(used) })
    expect(spent.status).toBe(400)
    const before = await storageSnapshot()
    const refused = await token({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      ...creds(app, used),
    })
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 401, body: INVALID_CLIENT })
    expect(await storageSnapshot()).toEqual(before)
    const assertion = assertionForm(await signAssertion(app.clientId, key))
    const next = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, ...assertion })
    expect(next.status).toBe(200)
  })
})
