/**
 * @module Bench only, never routed in production: Cloudflare's own provider,
 * @cloudflare/workers-oauth-provider, as the peer `npm run bench` compares us with. Its protected
 * route does what our `GET /users/<pk>/` does after the token check (one D1 primary-key select on
 * the same database), so the two differ only in how the token is checked. `POST /mint` is the
 * bench's setup step: it registers a confidential client and completes `n` authorizations, then
 * exchanges each code at the provider's own token endpoint, giving `n` independent grants.
 */
import { OAuthProvider, type OAuthHelpers } from '@cloudflare/workers-oauth-provider'

type PeerEnv = { DB: D1Database; OAUTH_KV: KVNamespace; OAUTH_PROVIDER: OAuthHelpers }

const REDIRECT = 'http://127.0.0.1/cb'

const apiHandler = {
  async fetch(request: Request, env: PeerEnv) {
    const id = Number(new URL(request.url).pathname.split('/')[3])
    const row = await env.DB.prepare('select * from users where id = ?').bind(id).first<Record<string, unknown>>()
    if (!row) return Response.json({ detail: 'Not found.' }, { status: 404 })
    return Response.json({
      username: row.username,
      email: row.email,
      first_name: row.first_name,
      last_name: row.last_name,
    })
  },
}

async function mint(request: Request, env: PeerEnv, provider: OAuthProvider<PeerEnv>, ctx: ExecutionContext) {
  const n = Number(new URL(request.url).searchParams.get('n') ?? '1')
  const helpers = env.OAUTH_PROVIDER
  const client = await helpers.createClient({
    redirectUris: [REDIRECT],
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
  })
  const origin = new URL(request.url).origin
  const basic = `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`
  const grants: Array<{ access_token: string; refresh_token: string }> = []
  for (let i = 0; i < n; i++) {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT,
      scope: 'read',
      state: `s${i}`,
    })
    const authRequest = await helpers.parseAuthRequest(new Request(`${origin}/authorize?${query}`))
    const { redirectTo } = await helpers.completeAuthorization({
      request: authRequest,
      userId: `user${i}`,
      metadata: {},
      scope: ['read'],
      props: { userId: i },
      revokeExistingGrants: false,
    })
    const code = new URL(redirectTo).searchParams.get('code')!
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
    const res = await provider.fetch(
      new Request(`${origin}/token`, {
        method: 'POST',
        body,
        headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
      env,
      ctx,
    )
    if (!res.ok) return new Response(await res.text(), { status: 500 })
    grants.push(await res.json())
  }
  return Response.json({ client_id: client.clientId, client_secret: client.clientSecret, grants })
}

const provider: OAuthProvider<PeerEnv> = new OAuthProvider<PeerEnv>({
  apiRoute: '/api/',
  apiHandler,
  defaultHandler: {
    fetch: (request: Request, env: PeerEnv, ctx: ExecutionContext) =>
      new URL(request.url).pathname === '/mint'
        ? mint(request, env, provider, ctx)
        : new Response('Not found', { status: 404 }),
  },
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/token',
  scopesSupported: ['read'],
  // RFC 9728: the protected resource's identifier. The provider checks it against the request's
  // host and accepts http only on a loopback one, hence the peer is served as `localhost`.
  resourceMetadata: { resource: 'http://localhost/api/' },
})

export default provider
