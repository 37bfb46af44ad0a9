// RFC 6750 refusals wherever a bearer token is read. DOT's 401 with a bare challenge stays for
// absent credentials and other schemes (steps 056-062, test/api/permissions.test.ts) and for a
// token only in the query or body, which is never read (test/api/users.test.ts); a malformed value,
// or a token sent in the header and another place, is 400 invalid_request (§2, §3.1).
import { describe, expect, it } from 'vitest'
import { call, read } from '../helpers/http'
import { passwordSetup, passwordToken } from '../helpers/password-flow'

const MALFORMED = 'The Authorization header is malformed.'
const TWO_METHODS = 'The access token must be sent in the Authorization header only.'
const challenge = (description: string) => `Bearer realm="api", error="invalid_request", error_description="${description}"`

async function token() {
  return (await passwordToken(await passwordSetup())).body.access_token as string
}

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
    const t = await token()
    const res = await read(await call(`/users/?access_token=${t}`, { token: t }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ detail: TWO_METHODS })
    expect(res.headers.get('www-authenticate')).toBe(challenge(TWO_METHODS))
  })

  it('the token in a form body besides the header; nothing is created', async () => {
    const t = await token()
    const res = await read(await call('/users/', { token: t, form: { access_token: t, username: 'never-created' } }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ detail: TWO_METHODS })
    expect((await read(await call('/users/', { token: t }))).body).not.toContainEqual(expect.objectContaining({ username: 'never-created' }))
  })

  it('a token in a form body alone is not read: 401 with a bare challenge (DOT 1.7 accepts it, step 067)', async () => {
    const t = await token()
    const res = await read(await call('/users/', { form: { access_token: t, username: 'never-created-either' } }))
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
  })

  it('a JSON body field named access_token is just data, and the scheme is case-insensitive', async () => {
    const t = await token()
    const res = await read(await call('/users/', { headers: { Authorization: `bEaReR ${t}` }, json: { username: `u${Date.now()}`, access_token: 'x' } }))
    expect(res.status).toBe(201)
  })
})

describe('the same refusals at the OAuth endpoints, in RFC 6749 §5.2 JSON', () => {
  it('a token in the query besides the header at /o/userinfo/ → 400 invalid_request', async () => {
    const t = await token()
    const res = await read(await call(`/o/userinfo/?access_token=${t}`, { token: t }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: TWO_METHODS })
    expect(res.headers.get('www-authenticate')).toBe(challenge(TWO_METHODS))
  })

  it('a malformed bearer at /o/introspect/ → 400 invalid_request', async () => {
    const res = await read(await call('/o/introspect/', { headers: { Authorization: 'Bearer a b' }, form: { token: 'x' } }))
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: MALFORMED })
  })
})
