// The one structured log line per request (src/index.ts), and LOG_REQUESTS, which `npm start` sets
// to "false" because wrangler dev prints its own line for every request.
import { describe, expect, it } from 'vitest'
import { callWith } from '../helpers/faults'
import { basicAuth } from '../helpers/http'
import { logged } from '../helpers/secrets'
import { createApplication } from '../helpers/seed'

/** The JSON lines logged while `run` ran. */
async function linesDuring(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const from = logged.length
  await run()
  return logged.slice(from).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}

describe('the request log line', () => {
  it('one line per request by default, with the request id the response names', async () => {
    let requestId: string | null = null
    const lines = await linesDuring(async () => {
      const res = await callWith({}, '/users/', { headers: { Authorization: 'Bearer not-a-token' } })
      requestId = res.headers.get('x-request-id')
    })
    const requests = lines.filter((l) => l.event === 'request')
    expect(requests).toEqual([
      {
        level: 'info',
        requestId,
        method: 'GET',
        path: '/users/',
        event: 'request',
        status: 401,
        ms: expect.any(Number),
      },
    ])
  })

  it('LOG_REQUESTS = "false" drops that line only: the response still names its id, other events are still logged', async () => {
    const app = await createApplication()
    const lines = await linesDuring(async () => {
      const res = await callWith({ LOG_REQUESTS: 'false' }, '/o/revoke_token/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basicAuth(app.clientId, app.clientSecret!),
        },
        body: 'token=unknown-token',
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-request-id')).toEqual(expect.any(String))
    })
    expect(lines.filter((l) => l.event === 'request')).toEqual([])
    expect(lines.filter((l) => l.event === 'revocation')).toEqual([
      expect.objectContaining({ level: 'info', revoked: false, path: '/o/revoke_token/' }),
    ])
  })
})
