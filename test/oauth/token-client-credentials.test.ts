// The client_credentials grant: a token for the client itself, which the users API refuses.
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { applications } from '../../src/db/schema'
import { call, read } from '../helpers/http'
import { createApplication, db } from '../helpers/seed'
import { postAs } from '../helpers/grants'

const ccApp = () => createApplication({ authorizationGrantType: 'client-credentials' })

describe('client_credentials grant', () => {
  it('issues an access token without a refresh token', async () => {
    const app = await ccApp()
    const res = await read(
      await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'client_credentials' } }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 36000,
      scope: 'read write groups',
    })
  })

  it('narrows to a requested scope; credentials may come in the body', async () => {
    const app = await ccApp()
    const res = await read(
      await call('/o/token/', {
        form: {
          grant_type: 'client_credentials',
          scope: 'read',
          client_id: app.clientId,
          client_secret: app.clientSecret!,
        },
      }),
    )
    expect(res).toMatchObject({ status: 200, body: { scope: 'read' } })
  })

  it('a wrong secret is 401 invalid_client', async () => {
    const app = await ccApp()
    const res = await read(
      await call('/o/token/', { basic: [app.clientId, 'nope'], form: { grant_type: 'client_credentials' } }),
    )
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ error: 'invalid_client' })
  })

  it('an app registered for the password grant is unauthorized_client', async () => {
    const app = await createApplication()
    const res = await read(
      await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'client_credentials' } }),
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'unauthorized_client' })
  })

  it.each([
    ['GET', '/users/'],
    ['GET', '/users/1/'],
    ['GET', '/groups/'],
    ['POST', '/users/'],
  ])('its token gets 403 from %s %s: the API needs a user', async (method, path) => {
    const app = await ccApp()
    const { body } = await read(
      await call('/o/token/', { basic: [app.clientId, app.clientSecret!], form: { grant_type: 'client_credentials' } }),
    )
    const res = await read(
      await call(path, { method, token: body.access_token, form: method === 'POST' ? { username: 'x' } : undefined }),
    )
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' })
  })

  it('its token ends with its application: bearer 401 invalid_token, introspection inactive', async () => {
    const app = await ccApp()
    const { body } = await read(
      await call('/o/token/', {
        basic: [app.clientId, app.clientSecret!],
        form: { grant_type: 'client_credentials', scope: 'introspection read' },
      }),
    )
    const resourceServer = await ccApp()
    const introspect = async () => (await postAs(resourceServer, '/o/introspect/', { token: body.access_token })).body
    const introspectWithIt = () =>
      call('/o/introspect/', { token: body.access_token, form: { token: body.access_token } })
    expect(await introspect()).toMatchObject({ active: true, client_id: app.clientId })
    expect((await introspectWithIt()).status).toBe(200)

    // Deleted through the pages, or in the D1 console: either way the row goes.
    await db().delete(applications).where(eq(applications.id, app.id)).run()
    expect(await introspect()).toEqual({ active: false })
    const refused = await introspectWithIt()
    expect(refused.status).toBe(401)
    expect(refused.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
    const api = await read(await call('/users/', { token: body.access_token }))
    expect(api.status).toBe(401)
    expect(api.body).toEqual({ detail: 'Authentication credentials were not provided.' })
  })
})
