// An unmodified certified client library (npm's openid-client) against `wrangler dev`: it discovers
// the server from its issuer URL alone, runs code + PKCE + OpenID Connect with Chromium doing the
// browser steps (sign in, consent), verifies the id_token against the JWKS, then refreshes,
// introspects and revokes. Seeded through the admin CLI, as an operator would. Then clients that
// register themselves: by RFC 7591, and by a Client ID Metadata Document served on loopback.
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import * as client from 'openid-client'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CHROMIUM } from './chromium'

const REDIRECT = 'http://127.0.0.1:8009/cb'
const PASSWORD = 'correct horse battery staple'
const suffix = Date.now().toString(36)

async function admin(...args: string[]) {
  const { stdout } = await promisify(execFile)('npx', [
    'tsx',
    'scripts/admin.ts',
    '--json',
    '--persist-to',
    inject('persistTo'),
    ...args,
  ])
  return JSON.parse(stdout)
}

let browser: Browser
beforeAll(async () => {
  browser = await chromium.launch(CHROMIUM)
})
afterAll(() => browser?.close())

/**
 * A person in Chromium: opens the authorization URL, signs in, allows on the consent page. The
 * redirect to the client is caught before it leaves the browser; its URL is the callback.
 */
async function signInAndConsent(authorizationUrl: URL, username: string): Promise<URL> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    let callback: URL | undefined
    await page.route(`${REDIRECT}**`, (route) => {
      callback = new URL(route.request().url())
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' })
    })
    await page.goto(authorizationUrl.href)
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/o\/authorize\//)
    await page.click('button[name="allow"]')
    await page.waitForURL(`${REDIRECT}**`)
    return callback!
  } finally {
    await context.close()
  }
}

describe('openid-client, from the issuer URL alone', () => {
  const username = `oidc-${suffix}`
  /** Every URL the library fetched, to see that it went to the JWKS to check the id_token. */
  const fetched: string[] = []
  let config: client.Configuration

  beforeAll(async () => {
    await admin(
      'createuser',
      '--username',
      username,
      '--password',
      PASSWORD,
      '--email',
      'alice@example.com',
      '--first-name',
      'Alice',
      '--last-name',
      'Liddell',
    )
    const app = await admin(
      ...[
        'createapp',
        '--name',
        `oidc-${suffix}`,
        '--client-type',
        'confidential',
        '--grant-type',
        'authorization-code',
      ],
      ...['--redirect-uris', REDIRECT],
    )
    config = await client.discovery(
      new URL(inject('baseUrl')),
      app.client_id,
      app.client_secret,
      client.ClientSecretBasic(),
      {
        // The dev server is plain http on loopback; id_token signatures are checked against the JWKS.
        execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
        [client.customFetch]: (url, options) => {
          fetched.push(url)
          return fetch(url, options)
        },
      },
    )
  })

  it('discovers every endpoint from the issuer', () => {
    const md = config.serverMetadata()
    expect(md.issuer).toBe(inject('baseUrl'))
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'revocation_endpoint',
      'introspection_endpoint',
    ] as const) {
      expect(md[endpoint]).toMatch(new RegExp(`^${inject('baseUrl')}/o/`))
    }
    expect(md.supportsPKCE('S256')).toBe(true)
  })

  it('runs code + PKCE + OpenID Connect, refreshes, introspects and revokes', async () => {
    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const state = client.randomState()
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile email read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    })
    const callback = await signInAndConsent(authorizationUrl, username)
    expect(callback.searchParams.get('iss')).toBe(inject('baseUrl'))

    // The library checks state, iss, PKCE, the id_token's claims and nonce, and its signature.
    const jwksFetchesBefore = fetched.filter((url) => url.endsWith('/o/.well-known/jwks.json')).length
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    })
    expect(fetched.filter((url) => url.endsWith('/o/.well-known/jwks.json')).length).toBeGreaterThan(jwksFetchesBefore)
    const claims = tokens.claims()!
    expect(claims).toMatchObject({ iss: inject('baseUrl'), aud: config.clientMetadata().client_id, nonce })
    expect(typeof claims.auth_time).toBe('number')
    expect(tokens.scope).toBe('openid profile email read')

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(userinfo).toEqual({
      sub: claims.sub,
      preferred_username: username,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.com',
      email_verified: false,
    })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect(refreshed.scope).toBe('openid profile email read')

    const live = await client.tokenIntrospection(config, refreshed.access_token)
    expect(live).toMatchObject({
      active: true,
      client_id: config.clientMetadata().client_id,
      sub: claims.sub,
      username,
      token_type: 'Bearer',
    })
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })

    await client.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' })
    expect(await client.tokenIntrospection(config, refreshed.access_token)).toEqual({ active: false })
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })
})

describe('clients that register themselves (RFC 7591, Client ID Metadata Documents)', () => {
  const username = `dcr-${suffix}`
  beforeAll(async () => {
    await admin('createuser', '--username', username, '--password', PASSWORD)
  })

  /** Code + PKCE through Chromium for `config`, then the code exchange; the tokens. */
  async function codeFlow(config: client.Configuration) {
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    })
    const callback = await signInAndConsent(authorizationUrl, username)
    return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })
  }

  it('openid-client registers a confidential client dynamically and runs the code flow with it', async () => {
    const config = await client.dynamicClientRegistration(
      new URL(inject('baseUrl')),
      { redirect_uris: [REDIRECT], client_name: 'openid-client', token_endpoint_auth_method: 'client_secret_basic' },
      client.ClientSecretBasic(),
      { execute: [client.allowInsecureRequests] },
    )
    const registered = config.clientMetadata()
    expect(registered.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(registered.registration_client_uri).toBe(`${inject('baseUrl')}/o/register/${registered.client_id}/`)
    const tokens = await codeFlow(config)
    expect(tokens.scope).toBe('read')
    expect(tokens.refresh_token).toBeTruthy()
  })

  it('a metadata document served on loopback is the client_id', async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/client.json' ? 200 : 404, { 'Content-Type': 'application/json' })
      res.end(req.url === '/client.json' ? JSON.stringify(document) : '{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const clientId = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client.json`
    const document = { client_id: clientId, client_name: 'Loopback tool', redirect_uris: [REDIRECT] }
    try {
      const config = await client.discovery(new URL(inject('baseUrl')), clientId, undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      })
      expect(config.serverMetadata().client_id_metadata_document_supported).toBe(true)
      const tokens = await codeFlow(config)
      expect(tokens.scope).toBe('read')
    } finally {
      server.close()
    }
  })
})
