// Property-based fuzzing of every endpoint with hostile requests (fixed seed; FUZZ_RUNS for more).
import fc from 'fast-check'
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { ORIGIN } from '../helpers/http'
import { grant } from '../helpers/grants'
import {
  authorization,
  body,
  contentTypes,
  expectDocumentedFormat,
  type Known,
  methods,
  storageSnapshot,
} from '../helpers/fuzz'

const PATHS = [
  '/o/token/',
  '/o/revoke_token/',
  '/o/introspect/',
  '/o/userinfo/',
  '/o/register/',
  '/o/register/abc/',
  '/o/authorize/',
  '/o/authorize/?response_type=code&client_id=x&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=s',
  '/o/authorize/?response_type=code&client_id=x&resource=https%3A%2F%2Funknown.example%2F&resource=%2Fr',
  '/o/applications/',
  '/o/applications/register/',
  '/o/applications/1/',
  '/o/authorized_tokens/',
  '/accounts/login/',
  '/accounts/login/?next=//evil.example/',
  '/accounts/logout/',
  '/accounts/password_change/',
  '/.well-known/oauth-authorization-server',
  '/o/.well-known/openid-configuration',
  '/o/.well-known/jwks.json',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/x',
  '/users/',
  '/users/1/',
  '/users/abc/',
  '/groups/',
  '/users',
  '/nope/',
  '/o/token',
  '/',
]

let known: Known
beforeAll(async () => {
  const setup = await grant('password')
  const { tokens } = setup
  known = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    clientId: setup.app.clientId,
    clientSecret: setup.app.clientSecret!,
    username: setup.user.username,
    userId: setup.user.id,
  }
})

describe('fuzzing', () => {
  it(
    'never answers 5xx, always in the endpoint’s format, and a refusal stores nothing',
    async () => {
      const runs = Number(env.FUZZ_RUNS)
      const statuses: Record<number, number> = {}
      // How often each invariant was really checked: a property that no case reaches holds vacuously.
      const checked = { oauthErrorFormat: 0, apiErrorFormat: 0, refusalStoresNothing: 0 }
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            method: methods,
            path: fc.oneof({ arbitrary: fc.constantFrom(...PATHS), weight: 6 }, { arbitrary: fc.webPath(), weight: 1 }),
            authorization: authorization(known),
            contentType: contentTypes,
            body: body(known),
            extraHeader: fc.option(
              fc.tuple(
                fc.constantFrom('X-Forwarded-For', 'Origin', 'Cookie', 'CF-Connecting-IP'),
                fc.string({ maxLength: 30 }),
              ),
            ),
          }),
          async (req) => {
            const headers = new Headers()
            if (req.authorization !== undefined)
              headers.set('Authorization', req.authorization.replace(/[\r\n\0]/g, ''))
            if (req.contentType) headers.set('Content-Type', req.contentType)
            if (req.extraHeader) headers.set(req.extraHeader[0], req.extraHeader[1].replace(/[\r\n\0]/g, ''))
            const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD'
            const before = await storageSnapshot()
            const path = req.path.startsWith('/') ? req.path : `/${req.path}`
            const res = await exports.default.fetch(
              new Request(`${ORIGIN}${path}`, {
                method: req.method,
                headers,
                body: hasBody ? req.body : undefined,
                redirect: 'manual',
              }),
            )
            statuses[res.status] = (statuses[res.status] ?? 0) + 1
            const format = await expectDocumentedFormat(new URL(`${ORIGIN}${path}`).pathname, res)
            if (format === 'oauth') checked.oauthErrorFormat++
            if (format === 'api') checked.apiErrorFormat++
            if (res.status >= 400) {
              expect(await storageSnapshot()).toEqual(before)
              checked.refusalStoresNothing++
            }
          },
        ),
        { numRuns: runs, seed: Number(env.FUZZ_SEED), endOnFailure: true },
      )
      console.info(`fuzz: ${runs} cases, statuses ${JSON.stringify(statuses)}, checks ${JSON.stringify(checked)}`)
      // Fails when the arbitraries stop reaching what the property checks (no OAuth error, no API error,
      // no refusal: say every request a 404 on a page), where it would hold without testing anything.
      for (const [check, count] of Object.entries(checked)) expect(count, check).toBeGreaterThan(0)
    },
    60_000 + Number(env.FUZZ_RUNS) * 400,
  ) // a password check costs ~0.3 s in the pool
})
