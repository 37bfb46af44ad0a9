/**
 * @module Dynamic client registration, `POST /o/register/` (RFC 7591), and client configuration,
 * `GET|PUT|DELETE /o/register/<client_id>/` (RFC 7592). Who may register is the CLIENT_REGISTRATION
 * policy (docs/client-registration.md): anyone (counted per address), holders of an initial access
 * token (§3), or no one. A registered client is a row of the applications table marked `dynamic`.
 * The client secret and the registration access token are shown once and stored as SHA-256 digests,
 * compared in constant time; neither is ever logged.
 */
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'
import { readSettings } from '../config'
import { NO_STORE, OAuthError } from '../errors'
import { log } from '../log'
import { systemClock } from '../clock'
import { safeEqual } from '../crypto/compare'
import { newClientId, newSecret, sha256Hex } from '../crypto/token'
import { readText } from '../http/body'
import { BearerRefused, readBearerToken } from '../auth/bearer'
import { clientIp } from '../auth/rate-limit'
import { tokenDepsFor } from '../tokens/deps'
import { planRevokeAll } from '../tokens/revoke-all'
import { allowsLoopbackDocuments, registrationPolicy } from '../oauth/clients'
import { AUTH_METHODS, type AuthMethod, readClientMetadata, usesSecret } from '../oauth/client-metadata'
import { issuerUrl } from '../oauth/issuer'
import { type Application, findApplicationByClientId, insertApplication } from '../store/applications'
import {
  countRegistration,
  deleteRegisteredClientStatement,
  isInitialAccessTokenValid,
  updateRegisteredClient,
} from '../store/client-registration'

/** Registrations one address may make per window under the open policy: plenty for any tool or test run. */
export const REGISTRATIONS_PER_WINDOW = 30
export const REGISTRATION_WINDOW_SECONDS = 60

const INVALID_TOKEN = { code: 'invalid_token', description: 'The access token is invalid.' } as const

/** The JSON body; anything else is invalid_client_metadata (RFC 7591 §3.1: the request is JSON). */
async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new OAuthError('invalid_client_metadata', 'Send the client metadata as application/json.')
  }
  try {
    return JSON.parse(await readText(c))
  } catch {
    throw new OAuthError('invalid_client_metadata', 'The request body is not JSON.')
  }
}

/** The bearer token of the Authorization header; none or a malformed one is refused as RFC 6750 §3 says. */
function bearerToken(c: Context<AppEnv>): string {
  const token = readBearerToken(c.req.header('Authorization'))
  if (token === 'malformed') {
    throw new BearerRefused(400, { code: 'invalid_request', description: 'The Authorization header is malformed.' })
  }
  if (token === null) throw new BearerRefused(401)
  return token
}

/** §3: whether this request may register, by the policy; refusals say why and name no token. */
async function admitRegistration(c: Context<AppEnv>): Promise<void> {
  const policy = registrationPolicy(c)
  const now = systemClock.now()
  if (policy === 'off') {
    throw new OAuthError('access_denied', 'Dynamic client registration is switched off on this server.', 403)
  }
  if (policy === 'initial-access-token') {
    const token = bearerToken(c)
    if (!(await isInitialAccessTokenValid(c.get('db'), sha256Hex(token), now))) {
      throw new BearerRefused(401, INVALID_TOKEN)
    }
    return
  }
  // Open: anyone may register, so one address may not fill the table (RFC 7591 §5). Counted before
  // the body is read, so a flood of bad requests is refused as cheaply as good ones.
  const key = `register:${sha256Hex(clientIp(c))}`
  const { count, windowStart } = await countRegistration(
    c.get('db'),
    key,
    now,
    REGISTRATION_WINDOW_SECONDS,
    REGISTRATIONS_PER_WINDOW,
  )
  if (count > REGISTRATIONS_PER_WINDOW) {
    const retryAfter = Math.max(1, windowStart + REGISTRATION_WINDOW_SECONDS - now)
    throw new OAuthError(
      'temporarily_unavailable',
      `Too many registrations from this address; try again in ${retryAfter} seconds.`,
      429,
      { 'Retry-After': String(retryAfter) },
    )
  }
}

const metadataOptions = (c: Context<AppEnv>) => ({
  passwordGrantEnabled: readSettings(c.env).passwordGrantEnabled,
  allowLoopback: allowsLoopbackDocuments(c),
  defaultAuthMethod: 'client_secret_basic' as AuthMethod,
  authMethods: AUTH_METHODS,
})

/**
 * The metadata checked (readClientMetadata), and one rule of this endpoint: client_credentials only
 * for a registration an operator vouched for with an initial access token. Its tokens act for no
 * user and get every scope of any resource named (RFC 6749 §4.4), with nobody consenting; under the
 * open policy anyone could mint them, and a resource server that checks only `aud` and `scope`
 * (RFC 9068 §4) would take them as a user's.
 */
function readRegistration(c: Context<AppEnv>, body: unknown) {
  const read = readClientMetadata(body, metadataOptions(c))
  if (read.fields.authorizationGrantType === 'client-credentials' && registrationPolicy(c) !== 'initial-access-token') {
    throw new OAuthError(
      'invalid_client_metadata',
      'client_credentials is offered only to clients registered with an initial access token.',
    )
  }
  return read
}

const configurationUri = (c: Context<AppEnv>, clientId: string) =>
  `${issuerUrl(c)}/o/register/${encodeURIComponent(clientId)}/`

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response. */
function clientInformation(
  c: Context<AppEnv>,
  app: Application,
  issued: { secret?: string; registrationToken?: string },
) {
  const metadata = JSON.parse(app.clientMetadata ?? '{}') as { token_endpoint_auth_method: AuthMethod }
  return {
    client_id: app.clientId,
    ...(issued.secret !== undefined && { client_secret: issued.secret }),
    // Required whenever a secret exists; 0: it does not expire.
    ...(usesSecret(metadata.token_endpoint_auth_method) && { client_secret_expires_at: 0 }),
    client_id_issued_at: app.created,
    ...(issued.registrationToken !== undefined && { registration_access_token: issued.registrationToken }),
    registration_client_uri: configurationUri(c, app.clientId),
    ...metadata,
  }
}

export const registerRoutes = new Hono<AppEnv>()

/**
 * CORS for browser-based clients (MCP Inspector, web apps), which register and manage themselves
 * from a page: any origin, without credentials. The endpoint is public under the open policy, and
 * otherwise authorizes by a bearer token in the Authorization header (an initial access token,
 * RFC 7591 §3; a registration access token, RFC 7592 §3), never by cookies: a page that holds the
 * token could send the same request from a server, so reading the answer gives it nothing more.
 * The per-application origins of the token endpoint (src/auth/cors.ts) cannot apply: a client that
 * registers has no application yet, and RFC 7591 metadata has no member for its origins.
 */
const registrationCors = (methods: string[]) =>
  cors({
    origin: '*',
    allowMethods: methods,
    allowHeaders: ['Authorization', 'Content-Type'],
    // The refusals' challenge, the rate limit's wait, and the id to quote when reporting a problem.
    exposeHeaders: ['WWW-Authenticate', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  })

registerRoutes.use('/o/register/', registrationCors(['POST']))

registerRoutes.post('/o/register/', async function registrationEndpoint(c) {
  await admitRegistration(c)
  const { fields } = readRegistration(c, await readJson(c))
  const secret = usesSecret(fields.tokenEndpointAuthMethod!) ? newSecret() : null
  const registrationToken = newSecret()
  const app = await insertApplication(c.get('db'), {
    ...fields,
    clientId: newClientId(),
    clientSecretHash: secret?.hash ?? null,
    registration: 'dynamic',
    registrationTokenHash: registrationToken.hash,
    lastUsedAt: systemClock.now(),
  })
  log(c, 'info', { event: 'client_registered', applicationId: app.id, authMethod: fields.tokenEndpointAuthMethod })
  const body = clientInformation(c, app, { secret: secret?.token, registrationToken: registrationToken.token })
  return c.json(body, 201, NO_STORE)
})

registerRoutes.all('/o/register/', (c) => c.body(null, 405, { ...NO_STORE, Allow: 'POST' }))

/**
 * RFC 7592 §3: the registration access token authenticates the request for this client. A client
 * that does not exist, was not registered dynamically, or a wrong token, all get the same 401.
 */
async function authenticateConfiguration(c: Context<AppEnv>): Promise<{ app: Application; tokenHash: string }> {
  const presented = sha256Hex(bearerToken(c))
  const clientId = c.req.param('clientId') ?? ''
  const app = clientId.length <= 256 ? await findApplicationByClientId(c.get('db'), clientId) : undefined
  const stored = app?.registration === 'dynamic' ? app.registrationTokenHash : null
  if (!app || !stored || !safeEqual(presented, stored)) throw new BearerRefused(401, INVALID_TOKEN)
  return { app, tokenHash: stored }
}

const CONFIGURATION = '/o/register/:clientId/'

registerRoutes.use(CONFIGURATION, registrationCors(['GET', 'PUT', 'DELETE']))

registerRoutes.get(CONFIGURATION, async function readClientConfiguration(c) {
  const { app } = await authenticateConfiguration(c)
  // The registration access token is stored as a digest, so it cannot be shown again: the client keeps its own.
  return c.json(clientInformation(c, app, {}), 200, NO_STORE)
})

registerRoutes.put(CONFIGURATION, async function updateClientConfiguration(c) {
  const { app, tokenHash } = await authenticateConfiguration(c)
  const body = await readJson(c)
  const sent = body as Record<string, unknown>
  // §2.2: the request names the client it updates, and a secret it sends must be the current one.
  if (typeof body !== 'object' || body === null || sent.client_id !== app.clientId) {
    throw new OAuthError('invalid_client_metadata', 'client_id must be the client being updated.')
  }
  if (sent.client_secret !== undefined) {
    const matches =
      typeof sent.client_secret === 'string' &&
      app.clientSecretHash !== null &&
      safeEqual(sha256Hex(sent.client_secret), app.clientSecretHash)
    if (!matches) throw new OAuthError('invalid_client_metadata', 'client_secret is not the current secret.')
  }
  const { fields } = readRegistration(c, body)
  const needsSecret = usesSecret(fields.tokenEndpointAuthMethod!)
  // A secret is kept across updates; one is made when the client starts needing it, dropped when it stops.
  const secret = needsSecret && !app.clientSecretHash ? newSecret() : null
  const registrationToken = newSecret()
  const updated = await updateRegisteredClient(c.get('db'), app.id, tokenHash, {
    ...fields,
    clientSecretHash: needsSecret ? (secret?.hash ?? app.clientSecretHash) : null,
    registrationTokenHash: registrationToken.hash,
  })
  // Another request with the same token changed or deleted the client first: that token is spent.
  if (!updated) throw new BearerRefused(401, INVALID_TOKEN)
  log(c, 'info', { event: 'client_updated', applicationId: app.id })
  const info = clientInformation(c, updated, { secret: secret?.token, registrationToken: registrationToken.token })
  return c.json(info, 200, NO_STORE)
})

registerRoutes.delete(CONFIGURATION, async function deleteClientConfiguration(c) {
  const { app, tokenHash } = await authenticateConfiguration(c)
  const db = c.get('db')
  // §2.3: the client's grants and tokens end with it. One batch, the grants revoked before the
  // delete's cascade removes their rows (planRevokeAll, as the admin site deletes an application);
  // then their access and refresh tokens leave KV. If a PUT with the same token won the race, the
  // delete matches nothing and answers 401, but the grants stay revoked: the holder of the token
  // asked for exactly that.
  const plan = planRevokeAll(tokenDepsFor(c.env, db), { applicationId: app.id })
  const results = await db.batch([...plan.statements, deleteRegisteredClientStatement(db, app.id, tokenHash)])
  const { revoked } = await plan.afterCommit(results)
  if ((results.at(-1) as unknown[]).length !== 1) throw new BearerRefused(401, INVALID_TOKEN)
  log(c, 'info', { event: 'client_deleted', applicationId: app.id, revoked })
  return c.body(null, 204, NO_STORE)
})

registerRoutes.all(CONFIGURATION, (c) => c.body(null, 405, { ...NO_STORE, Allow: 'GET, PUT, DELETE' }))
