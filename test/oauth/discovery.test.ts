// Authorization server metadata (RFC 8414) and OpenID discovery: everything listed works, and
// what is listed is all that works. test/node/openid-client.test.ts then has a certified client
// library discover the server and run the whole flow.
import { describe, expect, it } from 'vitest'
import { basicAuth, call, ORIGIN, read } from '../helpers/http'
import { callWith } from '../helpers/faults'
import {
  clientAuth,
  clientCredentialsGrant,
  codeGrant,
  passwordSetup,
  passwordToken,
  REDIRECT,
} from '../helpers/grants'
import { createApplication, createUser, PASSWORD } from '../helpers/seed'
import { assertionForm, clientKey, jwtClient, signAssertion } from '../helpers/client-assertion'
import { authorizationCodeFlow, authorizeUrl, redirectParams } from '../helpers/flows'
import { GRANTABLE_SCOPES, SCOPES } from '../../src/config'

const PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/o/.well-known/openid-configuration',
]

const metadata = async (path = PATHS[0]!) => (await read(await call(path))).body

/** A path on this server, from an absolute URL the metadata advertises under ORIGIN. */
const pathOf = (url: string) => {
  expect(url.startsWith(`${ORIGIN}/`)).toBe(true)
  return url.slice(ORIGIN.length)
}

describe('the metadata document', () => {
  it.each(PATHS)('GET %s → 200 JSON, the same document everywhere, readable from any origin', async (path) => {
    const res = await read(await call(path, { headers: { Origin: 'https://anywhere.example' } }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.body).toEqual({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/o/authorize/`,
      token_endpoint: `${ORIGIN}/o/token/`,
      userinfo_endpoint: `${ORIGIN}/o/userinfo/`,
      jwks_uri: `${ORIGIN}/o/.well-known/jwks.json`,
      revocation_endpoint: `${ORIGIN}/o/revoke_token/`,
      introspection_endpoint: `${ORIGIN}/o/introspect/`,
      registration_endpoint: `${ORIGIN}/o/register/`,
      scopes_supported: ['read', 'write', 'groups', 'openid', 'profile', 'email', 'introspection'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      client_id_metadata_document_supported: true,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'at_hash',
        'preferred_username',
        'name',
        'given_name',
        'family_name',
        'email',
        'email_verified',
      ],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    })
  })

  it('follows the ISSUER setting, and leaves out the password grant when it is switched off', async () => {
    const res = await read(
      await callWith({ ISSUER: 'https://auth.example.com/', PASSWORD_GRANT_ENABLED: 'false' }, PATHS[1]!),
    )
    expect(res.body.issuer).toBe('https://auth.example.com')
    expect(res.body.token_endpoint).toBe('https://auth.example.com/o/token/')
    expect(res.body.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials'])
  })

  it('a switched-off password grant is refused as unsupported', async () => {
    const { app, user } = await passwordSetup()
    const res = await read(
      await callWith({ PASSWORD_GRANT_ENABLED: 'false' }, '/o/token/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basicAuth(app.clientId, app.clientSecret!),
        },
        body: new URLSearchParams({ grant_type: 'password', username: user.username, password: PASSWORD }).toString(),
      }),
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'unsupported_grant_type' })
  })
})

describe('every advertised value works', () => {
  it('each endpoint answers at its advertised URL', async () => {
    const md = await metadata()
    const { tokens } = await codeGrant({ scope: 'openid' })
    const rs = await createApplication({ authorizationGrantType: 'client-credentials' })
    expect((await call(pathOf(md.jwks_uri))).status).toBe(200)
    expect((await call(pathOf(md.userinfo_endpoint), { token: tokens.access_token })).status).toBe(200)
    expect(
      (await read(await call(pathOf(md.introspection_endpoint), clientAuth(rs, { token: tokens.access_token })))).body
        .active,
    ).toBe(true)
    expect((await call(pathOf(md.revocation_endpoint), clientAuth(rs, { token: 'x' }))).status).toBe(200)
    expect(
      (await read(await call(pathOf(md.token_endpoint), clientAuth(rs, { grant_type: 'client_credentials' })))).status,
    ).toBe(200)
  })

  it('each grant type, and nothing else', async () => {
    const md = await metadata()
    // Each returns the token endpoint's status (the grant helpers throw unless it is 200).
    const works: Record<string, () => Promise<number>> = {
      authorization_code: () => codeGrant().then(() => 200),
      password: async () => (await passwordToken(await passwordSetup())).status,
      client_credentials: () => clientCredentialsGrant().then(() => 200),
      refresh_token: async () => {
        const s = await passwordSetup()
        const { refresh_token } = (await passwordToken(s)).body
        return (await read(await call('/o/token/', clientAuth(s.app, { grant_type: 'refresh_token', refresh_token }))))
          .status
      },
    }
    for (const grant of md.grant_types_supported) expect([grant, await works[grant]!()]).toEqual([grant, 200])
    const app = await createApplication()
    for (const grant of [
      'implicit',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ]) {
      const res = await read(await call('/o/token/', clientAuth(app, { grant_type: grant })))
      expect([grant, res.body]).toEqual([grant, { error: 'unsupported_grant_type' }])
    }
  })

  it('each token endpoint auth method: Basic, form body, and none for a public client', async () => {
    const md = await metadata()
    const user = await createUser()
    const confidential = await createApplication()
    const publicApp = await createApplication({ clientType: 'public' })
    const key = await clientKey()
    const jwtApp = await jwtClient(key, { authorizationGrantType: 'password' })
    const form = { grant_type: 'password', username: user.username, password: PASSWORD }
    const byMethod: Record<string, Parameters<typeof call>[1]> = {
      private_key_jwt: { form: { ...form, ...assertionForm(await signAssertion(jwtApp.clientId, key)) } },
      client_secret_basic: { basic: [confidential.clientId, confidential.clientSecret!], form },
      client_secret_post: {
        form: { ...form, client_id: confidential.clientId, client_secret: confidential.clientSecret! },
      },
      none: { form: { ...form, client_id: publicApp.clientId } },
    }
    for (const method of md.token_endpoint_auth_methods_supported) {
      expect([method, (await call('/o/token/', byMethod[method])).status]).toEqual([method, 200])
    }
  })

  it('each revocation and introspection auth method', async () => {
    const md = await metadata()
    const confidential = await createApplication({ authorizationGrantType: 'client-credentials' })
    const { app: publicApp } = await codeGrant({ app: { clientType: 'public' } })
    const key = await clientKey()
    const jwtApp = await jwtClient(key)
    // Each call signs a new assertion: a jti is single use.
    const assertion = async () => assertionForm(await signAssertion(jwtApp.clientId, key))
    const byMethod = async (form: Record<string, string>): Promise<Record<string, Parameters<typeof call>[1]>> => ({
      private_key_jwt: { form: { ...form, ...(await assertion()) } },
      client_secret_basic: { basic: [confidential.clientId, confidential.clientSecret!], form },
      client_secret_post: {
        form: { ...form, client_id: confidential.clientId, client_secret: confidential.clientSecret! },
      },
      none: { form: { ...form, client_id: publicApp.clientId } },
    })
    for (const method of md.revocation_endpoint_auth_methods_supported) {
      expect([method, (await call('/o/revoke_token/', (await byMethod({ token: 'x' }))[method])).status]).toEqual([
        method,
        200,
      ])
    }
    for (const method of md.introspection_endpoint_auth_methods_supported) {
      expect([method, (await call('/o/introspect/', (await byMethod({ token: 'x' }))[method])).status]).toEqual([
        method,
        200,
      ])
    }
    // Not advertised for introspection, and refused:
    expect((await call('/o/introspect/', (await byMethod({ token: 'x' })).none)).status).toBe(401)
  })

  it('the response type, the PKCE method and `iss` in the authorization response; nothing else', async () => {
    const md = await metadata()
    expect(md.response_types_supported).toEqual(['code'])
    expect(md.code_challenge_methods_supported).toEqual(['S256'])
    const { answer, browser, app } = await authorizationCodeFlow({ pkce: true })
    expect(md.authorization_response_iss_parameter_supported).toBe(true)
    expect(redirectParams(answer).get('iss')).toBe(md.issuer)
    const refused = async (params: Record<string, string>) =>
      redirectParams(await browser.get(authorizeUrl({ client_id: app.clientId, redirect_uri: REDIRECT, ...params })))
    for (const type of ['token', 'id_token', 'code id_token']) {
      expect((await refused({ response_type: type })).get('error')).toBe('unsupported_response_type')
    }
    const plain = await refused({
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'plain',
    })
    expect(plain.get('error')).toBe('invalid_request')
  })

  it('each scope is obtainable, and only the defined ones', async () => {
    const md = await metadata()
    expect(md.scopes_supported).toEqual(Object.keys(SCOPES))
    const viaCode = GRANTABLE_SCOPES.authorization_code.join(' ')
    expect((await authorizationCodeFlow({ scope: viaCode })).tokens.scope).toBe(viaCode)
    const viaClient = GRANTABLE_SCOPES.client_credentials.join(' ')
    const { app, token } = await clientCredentialsGrant(viaClient)
    expect((await read(await call('/o/introspect/', clientAuth(app, { token })))).body.scope).toBe(viaClient)
    expect((await passwordToken(await passwordSetup(), { scope: 'read admin' })).body).toEqual({
      error: 'invalid_scope',
    })
  })

  it('the id_token signing algorithm and the claims: every claim listed is released, nothing unlisted', async () => {
    const md = await metadata()
    const { tokens } = await codeGrant({
      scope: 'openid profile email',
      nonce: 'n',
      user: { firstName: 'A', lastName: 'B', email: 'a@example.com' },
    })
    const [header, payload] = tokens
      .id_token!.split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))))
    expect(md.id_token_signing_alg_values_supported).toEqual([header.alg])
    const userinfo = (await read(await call('/o/userinfo/', { token: tokens.access_token }))).body
    expect(new Set([...Object.keys(payload), ...Object.keys(userinfo)])).toEqual(new Set(md.claims_supported))
  })
})
