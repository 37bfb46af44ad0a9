// Oversized input gets a clear error in the endpoint's format, before anything is stored.
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, ORIGIN, read } from '../helpers/http'
import { userToken } from '../helpers/grants'
import { MAX_BODY_BYTES } from '../../src/config'

const big = 'a'.repeat(MAX_BODY_BYTES + 1)

function streamed(text: string) {
  // No Content-Length: the limit must hold while reading, too.
  const bytes = new TextEncoder().encode(text)
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192))
      controller.close()
    },
  })
}

describe('request limits', () => {
  it('a token request body over the cap is 413 invalid_request', async () => {
    const res = await read(await call('/o/token/', { form: `grant_type=password&username=${big}` }))
    expect(res.status).toBe(413)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Request body too large.' })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('an API body over the cap is 413 {"detail"}, also when streamed without a length', async () => {
    const token = await userToken()
    const res = await read(
      await exports.default.fetch(
        new Request(`${ORIGIN}/users/`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: streamed(JSON.stringify({ username: big })),
          // @ts-expect-error: workerd needs duplex for a streamed request body
          duplex: 'half',
        }),
      ),
    )
    expect(res.status).toBe(413)
    expect(res.body).toEqual({ detail: 'Request body too large.' })
  })

  it('an over-long token parameter is 400 naming it', async () => {
    const res = await read(
      await call('/o/token/', { form: { grant_type: 'password', username: 'u'.repeat(3000), password: 'x' } }),
    )
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The username parameter is too long.' })
  })
})
