import { describe, expect, inject, it } from 'vitest'

describe('wrangler dev on a fresh local state', () => {
  it('serves the API and asks for a bearer token', async () => {
    const res = await fetch(`${inject('baseUrl')}/users/`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })
})
