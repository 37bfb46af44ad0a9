// RFC 6750 refusals wherever a bearer token is read. DOT's 401 with a bare challenge stays for
// absent credentials and other schemes (steps 056-062, test/api/permissions.test.ts) and for a
// token only in the query or body, which is never read (test/api/users.test.ts); a malformed value,
// or a token sent in the header and another place, is 400 invalid_request (§2, §3.1).
import { beforeAll, describe, expect, it } from 'vitest'
import { clientCredentialsGrant, userToken } from '../helpers/grants'
import { call, RESOURCE_METADATA, read } from '../helpers/http'
import type { TestApp } from '../helpers/seed'

const MALFORMED = 'The Authorization header is malformed.'
const TWO_METHODS = 'The access token must be sent in the Authorization header only.'
const challenge = (description: string) =>
  `Bearer realm="api", error="invalid_request", error_description="${description}"`

describe('400 invalid_request on the API, in DRF’s format', () => {
  it.each([
    ['a two-word bearer value (DOT 1.7: 401, step 063)', 'Bearer a b', MALFORMED],
    ['a value with a quote', 'Bearer abc"def', MALFORMED],
    ['a value with a comma', 'Bearer abc,def', MALFORMED],
  ])('%s', async (_, authorization, description) => {
    const res = await read(await call('/users/', { headers: { Authorization: authorization } }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ detail: description })
    expect(res.headers.get('www-authenticate')).toBe(challenge(description))
  })

  it('the token in the query string besides the header', async () => {
    const t = await userToken()
    const res = await read(await call(`/users/?access_token=${t}`, { token: t }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ detail: TWO_METHODS })
    expect(res.headers.get('www-authenticate')).toBe(challenge(TWO_METHODS))
  })

  it('the token in a form body besides the header; nothing is created', async () => {
    const t = await userToken()
    const res = await read(await call('/users/', { token: t, form: { access_token: t, username: 'never-created' } }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ detail: TWO_METHODS })
    expect((await read(await call('/users/', { token: t }))).body).not.toContainEqual(
      expect.objectContaining({ username: 'never-created' }),
    )
  })

  it('a token in a form body alone is not read: 401 with a bare challenge (DOT 1.7 accepts it, step 067)', async () => {
    const t = await userToken()
    const res = await read(await call('/users/', { form: { access_token: t, username: 'never-created-either' } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", ${RESOURCE_METADATA}`)
  })

  it('a JSON body field named access_token is just data, and the scheme is case-insensitive', async () => {
    const t = await userToken()
    const res = await read(
      await call('/users/', {
        headers: { Authorization: `bEaReR ${t}` },
        json: { username: `u${Date.now()}`, access_token: 'x' },
      }),
    )
    expect(res.status).toBe(201)
  })
})

describe('the same refusals at the OAuth endpoints, in RFC 6749 §5.2 JSON', () => {
  it('a token in the query besides the header at /o/userinfo/ → 400 invalid_request', async () => {
    const t = await userToken()
    const res = await read(await call(`/o/userinfo/?access_token=${t}`, { token: t }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: TWO_METHODS })
    expect(res.headers.get('www-authenticate')).toBe(challenge(TWO_METHODS))
  })

  it('a malformed bearer at /o/introspect/ → 400 invalid_request', async () => {
    const res = await read(
      await call('/o/introspect/', { headers: { Authorization: 'Bearer a b' }, form: { token: 'x' } }),
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: MALFORMED })
  })
})

// RFC 6750 §3: "If the protected resource request ... does not enable access", the answer carries a
// challenge, whatever the reason; RFC 6749 §5.2 (and RFC 7235 §3.1) for a 401 to a client. One row
// per way the API and the /o/ endpoints refuse a caller, each with its whole body and challenge.
describe('every 401 and 403 of the API and the OAuth endpoints carries a challenge', () => {
  const NOT_PROVIDED = 'Authentication credentials were not provided.'
  const DENIED = { detail: 'You do not have permission to perform this action.' }
  const INVALID = 'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."'
  // The API's 401s also name its RFC 9728 metadata; the protocol endpoints' do not.
  const API_INVALID = `${INVALID}, ${RESOURCE_METADATA}`
  const NOT_A_USER = 'Bearer realm="api", error="insufficient_scope"'
  const lacks = (scope: string) =>
    `Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the ${scope} scope.", scope="${scope}"`
  const BASIC = 'Basic realm="oauth"'

  /** A user's token with `read` only, a client_credentials token, and that token's application. */
  type Caller = { user: string; client: string; app: TestApp }
  let caller: Caller
  beforeAll(async () => {
    const cc = await clientCredentialsGrant()
    caller = { user: await userToken('read'), client: cc.token, app: cc.app }
  })

  type Row = [string, string, (k: Caller) => Parameters<typeof call>[1], 401 | 403, string, unknown]
  it.each<Row>([
    // The users/groups API, DRF's bodies.
    ['GET', '/users/', () => ({}), 401, `Bearer realm="api", ${RESOURCE_METADATA}`, { detail: NOT_PROVIDED }],
    ['GET', '/users/', () => ({ token: 'no-such-token' }), 401, API_INVALID, { detail: NOT_PROVIDED }],
    // A client_credentials token acts for no user (DOT 1.7: 403 with no challenge, steps 123-126).
    ['GET', '/users/', (k) => ({ token: k.client }), 403, NOT_A_USER, DENIED],
    ['HEAD', '/users/', (k) => ({ token: k.client }), 403, NOT_A_USER, null],
    ['GET', '/users/1/', (k) => ({ token: k.client }), 403, NOT_A_USER, DENIED],
    ['POST', '/users/', (k) => ({ token: k.client, form: { username: 'never-created' } }), 403, NOT_A_USER, DENIED],
    ['GET', '/groups/', (k) => ({ token: k.client }), 403, NOT_A_USER, DENIED],
    ['OPTIONS', '/groups/', (k) => ({ token: k.client }), 403, NOT_A_USER, DENIED],
    [
      'POST',
      '/users/',
      (k) => ({ token: k.user, form: { username: 'never-created' } }),
      403,
      'Bearer realm="api", error="insufficient_scope", scope="write"',
      DENIED,
    ],
    [
      'GET',
      '/groups/',
      (k) => ({ token: k.user }),
      403,
      'Bearer realm="api", error="insufficient_scope", scope="groups"',
      DENIED,
    ],
    // UserInfo (OpenID Connect Core §5.3.3), RFC 6749 §5.2 bodies.
    [
      'GET',
      '/o/userinfo/',
      () => ({}),
      401,
      'Bearer realm="api"',
      { error: 'invalid_request', error_description: NOT_PROVIDED },
    ],
    [
      'POST',
      '/o/userinfo/',
      () => ({ token: 'no-such-token' }),
      401,
      INVALID,
      { error: 'invalid_token', error_description: 'The access token is invalid.' },
    ],
    [
      'GET',
      '/o/userinfo/',
      (k) => ({ token: k.user }),
      403,
      lacks('openid'),
      { error: 'insufficient_scope', error_description: 'The access token lacks the openid scope.' },
    ],
    [
      'GET',
      '/o/userinfo/',
      (k) => ({ token: k.client }),
      403,
      lacks('openid'),
      { error: 'insufficient_scope', error_description: 'The access token lacks the openid scope.' },
    ],
    // Introspection (RFC 7662 §2.1): by bearer token or by client credentials.
    [
      'POST',
      '/o/introspect/',
      (k) => ({ token: k.user, form: { token: k.user } }),
      401,
      lacks('introspection'),
      { error: 'insufficient_scope', error_description: 'The access token lacks the introspection scope.' },
    ],
    [
      'POST',
      '/o/introspect/',
      (k) => ({ token: k.client, form: { token: k.user } }),
      401,
      lacks('introspection'),
      { error: 'insufficient_scope', error_description: 'The access token lacks the introspection scope.' },
    ],
    [
      'POST',
      '/o/introspect/',
      () => ({ token: 'no-such-token', form: { token: 'x' } }),
      401,
      INVALID,
      { error: 'invalid_token', error_description: 'The access token is invalid.' },
    ],
    ['POST', '/o/introspect/', () => ({ form: { token: 'x' } }), 401, BASIC, { error: 'invalid_client' }],
    // Client authentication at the token and revocation endpoints (RFC 6749 §5.2).
    [
      'POST',
      '/o/token/',
      (k) => ({ basic: [k.app.clientId, 'wrong'], form: { grant_type: 'client_credentials' } }),
      401,
      BASIC,
      { error: 'invalid_client' },
    ],
    [
      'POST',
      '/o/token/',
      (k) => ({ form: { grant_type: 'client_credentials', client_id: k.app.clientId, client_secret: 'wrong' } }),
      401,
      BASIC,
      { error: 'invalid_client' },
    ],
    [
      'POST',
      '/o/revoke_token/',
      (k) => ({ basic: [k.app.clientId, 'wrong'], form: { token: k.client } }),
      401,
      BASIC,
      { error: 'invalid_client' },
    ],
  ])('%s %s (row %#)', async (method, path, request, status, challenge, body) => {
    const res = await read(await call(path, { method, ...request(caller) }))
    expect(res.status).toBe(status)
    expect(res.headers.get('www-authenticate')).toBe(challenge)
    expect(res.body).toEqual(body)
  })
})
