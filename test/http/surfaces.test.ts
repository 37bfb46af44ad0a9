// Each surface answers every error in its own format (issue 11): the protocol endpoints RFC 6749 §5.2
// JSON, the API DRF's {"detail"}, the pages an HTML error page; the path prefix /o/ decides nothing.
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/config'
import { callWith, faultyD1 } from '../helpers/faults'
import { call, read } from '../helpers/http'

const big = 'a'.repeat(MAX_BODY_BYTES + 1)

/** The error page's heading and message, as a person reads them. */
function errorPage(html: string) {
  return {
    title: /<h1>([^<]*)<\/h1>/.exec(html)?.[1],
    detail: /<div class="alert error" role="alert">([^<]*)<\/div>/.exec(html)?.[1],
  }
}

describe('surfaces: one error format each', () => {
  it.each([
    ['/accounts/login/', `username=${big}`],
    ['/o/authorize/', `client_id=${big}`],
    ['/o/applications/register/', `name=${big}`],
  ])('a page form over the body cap (POST %s) is a 413 HTML error page with the page headers', async (path, form) => {
    const res = await read(await call(path, { form }))
    expect(res.status).toBe(413)
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(errorPage(res.body)).toEqual({
      title: 'Request too large',
      detail: 'The form sent was too large to read. Go back and try again.',
    })
  })

  it('a page whose storage fails is a 503 HTML error page with Retry-After, not the protocol’s JSON', async () => {
    const res = await read(
      await callWith({ DB: faultyD1(/./) }, '/o/authorize/?client_id=abc&response_type=code&redirect_uri=x'),
    )
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.headers.get('retry-after')).toBe('1')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(errorPage(res.body)).toEqual({
      title: 'Service unavailable',
      detail: 'The service is unavailable for a moment. Try again.',
    })
  })

  it('the discovery documents under /.well-known/ answer a body over the cap as the protocol does', async () => {
    const res = await read(await call('/.well-known/openid-configuration', { form: `x=${big}` }))
    expect(res.status).toBe(413)
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Request body too large.' })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('a path outside every surface is 404 {"detail"}, whatever its prefix', async () => {
    for (const path of ['/o/nothing/', '/nothing/']) {
      const res = await read(await call(path))
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ detail: 'Not found.' })
    }
  })
})
