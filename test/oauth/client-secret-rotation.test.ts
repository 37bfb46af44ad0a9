/**
 * A new client secret ends the client_credentials tokens the old one got (issue 9, item 5): they
 * have no grant to revoke, so each one records the application's secret generation and is honoured
 * only while it is current, at the bearer check and at introspection alike.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { eq, sql } from 'drizzle-orm'
import { applications } from '../../src/db/schema'
import { Browser, textOf } from '../helpers/browser'
import { postAs, REDIRECT } from '../helpers/grants'
import { call, read, RESOURCE_METADATA } from '../helpers/http'
import { createApplication, createUser, db, type TestApp } from '../helpers/seed'
import { rememberSecret } from '../helpers/secrets'
import { callWith } from '../helpers/faults'
import { recordingD1, recordingKV } from '../helpers/recording'

/** A client_credentials app owned by a signed-in user, a resource server to introspect with, and a token. */
async function ownedClient() {
  const owner = await createUser()
  const browser = new Browser()
  expect((await browser.signIn(owner.username)).status).toBe(302)
  const app = await createApplication({ userId: owner.id, authorizationGrantType: 'client-credentials' })
  const resourceServer = await createApplication({ authorizationGrantType: 'client-credentials' })
  return { browser, app, resourceServer, token: await tokenFor(app.clientId, app.clientSecret!) }
}

async function tokenFor(clientId: string, secret: string): Promise<string> {
  const res = await read(
    await call('/o/token/', {
      basic: [clientId, secret],
      form: { grant_type: 'client_credentials', scope: 'introspection read' },
    }),
  )
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.access_token
}

/** What a resource server learns of `token` (RFC 7662), and whether the token itself is still accepted as a bearer. */
async function standing(resourceServer: TestApp, token: string) {
  const introspected = (await postAs(resourceServer, '/o/introspect/', { token })).body
  const asBearer = await read(await call('/o/introspect/', { token, form: { token } }))
  return { introspected, asBearer }
}

async function expectLive(resourceServer: TestApp, token: string, clientId: string) {
  const { introspected, asBearer } = await standing(resourceServer, token)
  expect(introspected).toMatchObject({ active: true, client_id: clientId })
  expect(asBearer.status).toBe(200)
  expect(asBearer.body).toMatchObject({ active: true, client_id: clientId })
}

async function expectEnded(resourceServer: TestApp, token: string) {
  const { introspected, asBearer } = await standing(resourceServer, token)
  expect(introspected).toEqual({ active: false })
  expect(asBearer.status).toBe(401)
  expect(asBearer.headers.get('WWW-Authenticate')).toBe(
    'Bearer realm="api", error="invalid_token", error_description="The access token is invalid."',
  )
  expect(asBearer.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' })
  // On the API: 401 invalid_token, no longer the 403 a live client token gets there.
  const api = await read(await call('/users/', { token }))
  expect(api.status).toBe(401)
  expect(api.headers.get('WWW-Authenticate')).toBe(
    `Bearer realm="api", error="invalid_token", error_description="The access token is invalid.", ${RESOURCE_METADATA}`,
  )
  expect(api.body).toEqual({ detail: 'Authentication credentials were not provided.' })
}

const secretOn = (html: string) => {
  const secret = /<code id="client-secret">([^<]+)<\/code>/.exec(html)?.[1]
  rememberSecret(secret)
  return secret!
}

describe('a new client secret', () => {
  it('from the page ends the client_credentials tokens of the old one at once; one issued after works', async () => {
    const { browser, app, resourceServer, token } = await ownedClient()
    await expectLive(resourceServer, token, app.clientId)
    expect((await read(await call('/users/', { token }))).status).toBe(403) // alive, but the API needs a user

    const detail = await browser.get(`/o/applications/${app.id}/`)
    expect(textOf(detail.html)).toContain(
      'the tokens the old one got for the client itself (client credentials) stop working',
    )
    const answer = await browser.submit(detail, `/o/applications/${app.id}/secret/`)
    expect(answer.status).toBe(200)
    expect(textOf(answer.html)).toContain(
      'The old one no longer works, and the tokens it got for the client itself (client credentials) have ended.',
    )
    await expectEnded(resourceServer, token)

    // In the same second as the rotation: a counter, not a timestamp, tells the two apart.
    const fresh = await tokenFor(app.clientId, secretOn(answer.html))
    await expectLive(resourceServer, fresh, app.clientId)
    await expectEnded(resourceServer, token)
  })

  it('a forged rotation (no CSRF token) is refused and ends nothing', async () => {
    const { browser, app, resourceServer, token } = await ownedClient()
    expect((await browser.post(`/o/applications/${app.id}/secret/`, {})).status).toBe(403)
    expect((await browser.post(`/o/applications/${app.id}/secret/`, { csrfmiddlewaretoken: 'forged' })).status).toBe(
      403,
    )
    await expectLive(resourceServer, token, app.clientId)
  })

  it('turning the client public on the edit form drops the secret and ends them too', async () => {
    const { browser, app, resourceServer, token } = await ownedClient()
    const form = await browser.get(`/o/applications/${app.id}/update/`)
    const saved = await browser.submit(form, `/o/applications/${app.id}/update/`, {
      client_type: 'public',
      authorization_grant_type: 'authorization-code',
      redirect_uris: REDIRECT,
    })
    expect(saved.status).toBe(302)
    await expectEnded(resourceServer, token)
  })

  it('an edit that keeps the secret keeps the tokens', async () => {
    const { browser, app, resourceServer, token } = await ownedClient()
    const form = await browser.get(`/o/applications/${app.id}/update/`)
    expect((await browser.submit(form, `/o/applications/${app.id}/update/`, { name: 'renamed' })).status).toBe(302)
    await expectLive(resourceServer, token, app.clientId)
  })

  it('a new secret written in the D1 console (plain SQL) ends them too: a trigger moves the generation on', async () => {
    const { app, resourceServer, token } = await ownedClient()
    await env.DB.prepare('update applications set client_secret_hash = ? where id = ?')
      .bind('0'.repeat(64), app.id)
      .run()
    await expectEnded(resourceServer, token)
    // Writing the same value again is no change of secret.
    const fresh = await env.DB.prepare('select secret_generation as g from applications where id = ?')
      .bind(app.id)
      .first<{ g: number }>()
    await env.DB.prepare('update applications set client_secret_hash = client_secret_hash, name = ? where id = ?')
      .bind('renamed', app.id)
      .run()
    expect(
      await env.DB.prepare('select secret_generation as g from applications where id = ?').bind(app.id).first(),
    ).toEqual(fresh)
  })

  it('moved on behind the server’s back (plain SQL in the D1 console) ends them as well', async () => {
    const { app, resourceServer, token } = await ownedClient()
    await db()
      .update(applications)
      .set({ secretGeneration: sql`${applications.secretGeneration} + 1` })
      .where(eq(applications.id, app.id))
      .run()
    await expectEnded(resourceServer, token)
    // Another client's tokens are not touched.
    const other = await tokenFor(resourceServer.clientId, resourceServer.clientSecret!)
    await expectLive(resourceServer, other, resourceServer.clientId)
  })
})

describe('deleting the application', () => {
  it('says its client_credentials tokens stop working, and they do', async () => {
    const { browser, app, resourceServer, token } = await ownedClient()
    const confirm = await browser.get(`/o/applications/${app.id}/delete/`)
    const text = textOf(confirm.html)
    expect(text).toContain('the tokens it got for itself (client credentials) stop working')
    expect(text).not.toContain('run out on their own')
    expect((await browser.submit(confirm, `/o/applications/${app.id}/delete/`)).status).toBe(303)
    await expectEnded(resourceServer, token)
  })
})

describe('the cost of the check', () => {
  it('is the application read these tokens already had: one KV get, one select by id, live or ended', async () => {
    const { app, token } = await ownedClient()
    const recorded = async () => {
      const { DB, calls: d1 } = recordingD1()
      const { TOKENS, calls: kv } = recordingKV()
      const res = await callWith({ DB, TOKENS }, '/users/', { headers: { Authorization: `Bearer ${token}` } })
      return { status: res.status, kv, sql: [...d1.sql], runs: d1.runs, batches: d1.batches }
    }
    const cost = (status: number) => ({
      status,
      kv: ['get access:'],
      sql: [expect.stringMatching(/^select .* from "applications" where "applications"\."id" = \?$/)],
      runs: 1,
      batches: [],
    })
    expect(await recorded()).toEqual(cost(403))
    await db()
      .update(applications)
      .set({ secretGeneration: sql`${applications.secretGeneration} + 1` })
      .where(eq(applications.id, app.id))
      .run()
    expect(await recorded()).toEqual(cost(401))
  })
})
