/**
 * End to end, as an MCP client meets this project: both Workers under `wrangler dev` (the
 * authorization server from the repository root, this MCP server beside it, joined by a Service
 * Binding and sharing the local D1), driven by the official MCP TypeScript SDK's client. Its
 * `auth()` flow runs unaided: 401 → RFC 9728 metadata named by `resource_metadata` → RFC 8414
 * metadata → a client (pre-registered with the admin CLI; or, in the second case, registered by the
 * SDK itself at /o/register/, RFC 7591, under the open policy `npm start` has) → authorization code
 * with PKCE and RFC 8707 `resource`, the person signing in and consenting in Chromium → tokens →
 * `tools/list` and tool calls. A token for the built-in API (another resource) is refused by the
 * MCP server. Both cases share the two servers and the browser, started once.
 *
 * Needs the root's dependencies (`npm ci` at the root) and Chromium (CHROMIUM_PATH, or Debian's).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM } from '../../../test/node/chromium'
import { type DevServer, freePort, startDevServer, wranglerLocal } from '../../../scripts/lib/dev-server'
import { hashPassword } from '../../../src/crypto/password'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const EXAMPLE = join(import.meta.dirname, '..')
const username = `mcp-alice-${randomBytes(3).toString('hex')}`
const password = `pw-${randomBytes(12).toString('hex')}`

let as: DevServer
let mcp: ChildProcess | undefined
let mcpUrl: string
let registry: string
let browser: Browser
let callback: { server: Server; port: number }
let publicClientId: string
let introspector: { client_id: string; client_secret: string }

const adminArgs = (args: string[]) => ['scripts/admin.ts', '--json', '--persist-to', as.persistTo, ...args]

/** The admin CLI, without blocking the event loop (the MCP server starts meanwhile). */
async function adminAsync(...args: string[]) {
  const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), adminArgs(args), {
    cwd: ROOT,
  })
  return JSON.parse(stdout)
}

/** The admin CLI against the authorization server's local state; its one JSON answer. */
function admin(...args: string[]) {
  const out = execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    ['scripts/admin.ts', '--json', '--persist-to', as.persistTo, ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
  return JSON.parse(out)
}

/** Starts this example's Worker and waits until it answers. */
async function startMcpServer(vars: Record<string, string>, port: number): Promise<ChildProcess> {
  const inspector = await freePort()
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)]
  args.push('--persist-to', as.persistTo, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]))
  let output = ''
  const child = spawn(join(EXAMPLE, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: EXAMPLE,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the MCP server's wrangler dev exited:\n${output}`)
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    )
    if (up) return child
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`the MCP server did not answer within 90 s:\n${output}`)
}

/** The redirect URI's listener, as a native app runs one (RFC 8252 §7.3). */
async function startCallbackListener() {
  const port = await freePort()
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' })
    res.end('<!DOCTYPE html><title>Signed in</title><p>You can close this window.</p>')
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, port }
}

/**
 * The SDK's OAuthClientProvider, in memory. Given a client id, it is that pre-registered public
 * client; without one, the SDK's `auth()` registers a client itself (RFC 7591) and saves it here.
 */
class InMemoryProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined
  private verifier = ''
  private saved: OAuthTokens | undefined
  private client: OAuthClientInformationMixed | undefined
  constructor(
    readonly redirectUrl: string,
    preRegisteredClientId?: string,
  ) {
    this.client = preRegisteredClientId === undefined ? undefined : { client_id: preRegisteredClientId }
  }
  get clientMetadata() {
    return { client_name: 'MCP e2e', redirect_uris: [this.redirectUrl], token_endpoint_auth_method: 'none' }
  }
  clientInformation() {
    return this.client
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.client = client
  }
  state() {
    return randomBytes(16).toString('base64url')
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
}

beforeAll(async () => {
  // Service Bindings between two `wrangler dev`s go through a registry of running Workers; a
  // private one keeps other runs of the same Workers on this machine out of this test's binding.
  registry = mkdtempSync(join(tmpdir(), 'eot-registry-'))
  // The authorization server is started from the repository root, as `npm start` there would.
  process.chdir(ROOT)
  process.env.WRANGLER_REGISTRY_PATH = registry
  const mcpPort = await freePort()
  mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`
  ;[as, browser, callback] = await Promise.all([
    startDevServer(),
    chromium.launch({ ...CHROMIUM, headless: true }),
    startCallbackListener(),
  ])
  // The person and a group, written to the server's D1 as the browser test does (one wrangler call).
  wranglerLocal(as.persistTo, [
    ...['d1', 'execute', 'DB', '--command'],
    `insert into users (username, password, email) values ('${username}', '${await hashPassword(password)}', 'alice@example.com');
     insert into groups (name) values ('editors');
     insert into user_groups (user_id, group_id) select u.id, g.id from users u, groups g where u.username = '${username}';`,
  ])
  // The MCP server's own confidential client, for introspecting opaque tokens; then, at once, the
  // MCP server starting and the operator registering its resource and the MCP client.
  introspector = admin(
    ...['createapp', '--name', 'MCP server', '--client-type', 'confidential', '--grant-type', 'client-credentials'],
  )
  const vars = {
    ISSUER: as.baseUrl,
    RESOURCE: mcpUrl,
    INTROSPECTION_CLIENT_ID: introspector.client_id,
    INTROSPECTION_CLIENT_SECRET: introspector.client_secret,
  }
  const started = startMcpServer(vars, mcpPort)
  // Kept for afterAll whatever happens next, so a failed registration leaves no server running.
  started.then((child) => (mcp = child)).catch(() => {})
  await adminAsync(
    'createresource',
    '--uri',
    mcpUrl,
    '--name',
    'Example MCP server',
    '--scopes',
    'mcp:tools mcp:groups',
    '--token-format',
    'jwt',
  )
  const app = await adminAsync(
    ...['createapp', '--name', 'MCP client', '--client-type', 'public', '--grant-type', 'authorization-code'],
    ...['--redirect-uris', 'http://127.0.0.1/callback'],
  )
  publicClientId = app.client_id
  await started
}, 180_000)

afterAll(async () => {
  await browser?.close()
  callback?.server.close()
  try {
    if (mcp?.pid) process.kill(-mcp.pid, 'SIGTERM')
  } catch {}
  as?.stop()
  rmSync(registry, { recursive: true, force: true })
})

/** The person in Chromium: signs in, reads the consent page, allows; the code the redirect URI receives. */
async function signInAndConsent(authorize: URL): Promise<{ code: string; consent: string }> {
  const page = await browser.newPage()
  await page.goto(authorize.toString())
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  const allow = page.getByRole('button', { name: 'Authorize' })
  await allow.waitFor()
  const consent = (await page.locator('body').textContent()) ?? ''
  await allow.click()
  await page.waitForURL((url) => url.port === String(callback.port))
  const code = new URL(page.url()).searchParams.get('code')!
  await page.close()
  return { code, consent }
}

/** The SDK's first connect: refused (401), `auth()` runs and stops at the authorization URL it found. */
async function connectUnauthorized(provider: InMemoryProvider) {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })
  await expect(new Client({ name: 'e2e', version: '1.0.0' }).connect(transport)).rejects.toThrow(UnauthorizedError)
  const authorize = provider.authorizationUrl!
  // What the SDK found by itself and asks for: this resource, PKCE S256, at the discovered endpoint.
  expect(authorize.origin + authorize.pathname).toBe(`${as.baseUrl}/o/authorize/`)
  expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
    response_type: 'code',
    client_id: provider.clientInformation()!.client_id,
    code_challenge_method: 'S256',
    resource: mcpUrl,
  })
  return { transport, authorize }
}

/** With the provider's token: the tools are listed, `whoami` and `list_groups` answer as the person. */
async function useTheTools(provider: InMemoryProvider, clientId: string) {
  expect(provider.tokens()).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i) })
  // The resource was registered with --token-format jwt: an RFC 9068 token, for this audience.
  const accessToken = provider.tokens()!.access_token
  expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt')
  expect(decodeJwt(accessToken)).toMatchObject({
    aud: [mcpUrl],
    client_id: clientId,
    iss: as.baseUrl,
    // The resource's own scopes, as its RFC 9728 document lists them.
    scope: 'mcp:tools mcp:groups',
  })

  const client = new Client({ name: 'e2e', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }))
  const { tools } = await client.listTools()
  expect(tools.map((t) => t.name).sort()).toEqual(['list_groups', 'whoami'])

  const whoami = await client.callTool({ name: 'whoami', arguments: {} })
  const who = JSON.parse((whoami.content as { text: string }[])[0]!.text)
  expect(who).toMatchObject({ user: { username, email: 'alice@example.com' }, client_id: clientId, aud: [mcpUrl] })

  const groups = await client.callTool({ name: 'list_groups', arguments: {} })
  expect(groups.isError).toBeFalsy()
  expect(JSON.parse((groups.content as { text: string }[])[0]!.text)).toEqual(['editors'])
  await client.close()
}

describe('an MCP client against the example server', () => {
  it('the first request is refused with a challenge naming the RFC 9728 document', async () => {
    const res = await fetch(mcpUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(401)
    const metadataUrl = mcpUrl.replace('/mcp', '/.well-known/oauth-protected-resource/mcp')
    expect(res.headers.get('WWW-Authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`)
    expect(await (await fetch(metadataUrl)).json()).toEqual({
      resource: mcpUrl,
      authorization_servers: [as.baseUrl],
      scopes_supported: ['mcp:tools', 'mcp:groups'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP server',
    })
  })

  it('signs in through the SDK’s auth() flow and Chromium, then lists and calls the tools', async () => {
    const provider = new InMemoryProvider(`http://127.0.0.1:${callback.port}/callback`, publicClientId)
    const { transport, authorize } = await connectUnauthorized(provider)
    const { code, consent } = await signInAndConsent(authorize)
    // A client the operator registered is not marked as one that registered itself.
    expect(consent).not.toContain('Not verified')
    // The resource's own scopes, by name, under the resource that asks for them.
    expect(consent).toContain('Example MCP server')
    expect(consent).toContain('with mcp:tools mcp:groups')
    await transport.finishAuth(code)
    await useTheTools(provider, publicClientId)
  })

  it('without a client, the SDK registers one itself at /o/register/ (RFC 7591), then the same flow', async () => {
    const redirectUrl = `http://127.0.0.1:${callback.port}/callback`
    const provider = new InMemoryProvider(redirectUrl)
    const { transport, authorize } = await connectUnauthorized(provider)
    // What the SDK saved from the 201: a public client for its loopback redirect URI, with the
    // scopes the MCP server's RFC 9728 document lists. (The SDK's schema drops the RFC 7592
    // registration_access_token and registration_client_uri: it never manages its registration.)
    const registered = provider.clientInformation()!
    expect(registered).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      client_id_issued_at: expect.any(Number),
      redirect_uris: [redirectUrl],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'MCP e2e',
      scope: 'mcp:tools mcp:groups',
      issuer: as.baseUrl,
    })
    expect(authorize.searchParams.get('scope')).toBe('mcp:tools mcp:groups')
    // The person is told this client registered itself and where it runs.
    const { code, consent } = await signInAndConsent(authorize)
    expect(consent).toContain('Not verified')
    expect(consent).toContain('127.0.0.1')
    await transport.finishAuth(code)
    await useTheTools(provider, registered.client_id)
  })

  it('a token for another resource (the built-in users/groups API) is refused', async () => {
    // The MCP server's own client_credentials token names no resource: it is for the built-in API.
    const res = await fetch(`${as.baseUrl}/o/token/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${btoa(`${introspector.client_id}:${introspector.client_secret}`)}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    })
    expect(res.status).toBe(200)
    const apiToken = ((await res.json()) as { access_token: string }).access_token
    // The MCP server asks the authorization server about it through its Service Binding, and refuses it.
    const refused = await fetch(mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(refused.status).toBe(401)
    const metadataUrl = mcpUrl.replace('/mcp', '/.well-known/oauth-protected-resource/mcp')
    expect(refused.headers.get('WWW-Authenticate')).toBe(
      `Bearer error="invalid_token", error_description="The access token is not meant for this resource.", resource_metadata="${metadataUrl}"`,
    )
  })
})
