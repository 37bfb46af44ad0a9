/**
 * Methods the pages do not take: 405 with `Allow` (RFC 9110 §15.5.6), as an HTML page with the
 * pages' headers, never the API's JSON and never a 404 that hides the address.
 */
import { describe, expect, it } from 'vitest'
import { Browser, textOf } from '../helpers/browser'
import { createApplication, createUser } from '../helpers/seed'

async function signedIn() {
  const user = await createUser()
  const browser = new Browser()
  await browser.signIn(user.username)
  return { user, browser }
}

describe('methods a page does not take', () => {
  it.each([
    ['PUT', '/', 'GET, HEAD'],
    ['POST', '/', 'GET, HEAD'],
    ['DELETE', '/o/authorize/', 'GET, HEAD, POST'],
    ['PUT', '/o/authorize/?response_type=code&client_id=x', 'GET, HEAD, POST'],
    ['PATCH', '/accounts/login/', 'GET, HEAD, POST'],
    ['DELETE', '/accounts/logout/', 'GET, HEAD, POST'],
    ['POST', '/o/applications/', 'GET, HEAD'],
    ['DELETE', '/o/applications/register/', 'GET, HEAD, POST'],
    ['POST', '/o/applications/{id}/', 'GET, HEAD'],
    ['PUT', '/o/applications/{id}/update/', 'GET, HEAD, POST'],
    ['GET', '/o/applications/{id}/secret/', 'POST'],
    ['DELETE', '/o/applications/{id}/delete/', 'GET, HEAD, POST'],
    ['POST', '/o/authorized_tokens/', 'GET, HEAD'],
    ['GET', '/o/authorized_tokens/some-grant/delete/', 'POST'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const { user, browser } = await signedIn()
    const app = await createApplication({ userId: user.id })
    const answer = await browser.request(path.replace('{id}', String(app.id)), { method })
    expect(answer.status).toBe(405)
    expect(answer.headers.get('Allow')).toBe(allow)
    expect(answer.headers.get('Content-Type')).toBe('text/html; charset=UTF-8')
    expect(answer.headers.get('X-Frame-Options')).toBe('DENY')
    expect(textOf(answer.html)).toContain(`This address answers ${allow} requests only.`)
  })

  it('an anonymous visitor is still sent to sign in first on the signed-in pages', async () => {
    const answer = await new Browser().request('/o/applications/', { method: 'POST' })
    expect(answer.status).toBe(303)
    expect(answer.location).toBe(`/accounts/login/?next=${encodeURIComponent('/o/applications/')}`)
  })

  it('HEAD is answered like GET', async () => {
    const { browser } = await signedIn()
    const answer = await browser.request('/o/applications/', { method: 'HEAD' })
    expect(answer.status).toBe(200)
    expect(answer.html).toBe('')
  })
})
