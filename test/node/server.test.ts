import { describe, expect, inject, it } from 'vitest'

describe('wrangler dev on a fresh local state', () => {
  it('serves the API and asks for a bearer token', async () => {
    const res = await fetch(`${inject('baseUrl')}/users/`)
    expect(res.status).toBe(401)
    // RFC 9728 §5.1: the challenge names the API's protected resource metadata (issue 12).
    const metadata = `${inject('baseUrl')}/.well-known/oauth-protected-resource`
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${metadata}"`)
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })
})
