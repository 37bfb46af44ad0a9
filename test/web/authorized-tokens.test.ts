/** /o/authorized_tokens/ and the home page through HTTP. */
import { describe, expect, it } from 'vitest'
import { Browser, formFor, textOf } from '../helpers/browser'
import { authorizationCodeFlow } from '../helpers/flows'
import { passwordSetup, passwordToken } from '../helpers/grants'
import { call } from '../helpers/http'
import { createUser } from '../helpers/seed'

describe('/o/authorized_tokens/', () => {
  it('lists the live grants of the signed-in user with their scopes described', async () => {
    const { browser, app } = await authorizationCodeFlow({ scope: 'read groups' })
    const page = await browser.get('/o/authorized_tokens/')
    expect(page.status).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain(app.name)
    expect(text).toContain('Read scope')
    expect(text).toContain('Access to your groups')
    expect(text).not.toContain('Write scope')
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
  })

  it('revoking a grant ends its access and refresh tokens, and it leaves the list', async () => {
    const { browser, app, tokens } = await authorizationCodeFlow({ scope: 'read' })
    const page = await browser.get('/o/authorized_tokens/')
    const action = formsAction(page.html)
    const answer = await browser.submit(page, action)
    expect(answer.status).toBe(303)
    expect(answer.location).toBe('/o/authorized_tokens/?revoked')
    expect((await call('/users/', { token: tokens.access_token })).status).toBe(401)
    const refresh = await call('/o/token/', {
      basic: [app.clientId, app.clientSecret!],
      form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    })
    expect(refresh.status).toBe(400)
    const after = await browser.get('/o/authorized_tokens/?revoked')
    expect(textOf(after.html)).toContain('Access revoked.')
    expect(textOf(after.html)).toContain('No application has access to your account.')
  })

  it('one row per application however many grants it holds; revoking the row ends them all', async () => {
    const setup = await passwordSetup()
    const first = await passwordToken(setup)
    const second = await passwordToken(setup)
    const browser = new Browser()
    await browser.signIn(setup.user.username)
    const page = await browser.get('/o/authorized_tokens/')
    expect(page.html.match(/action="\/o\/authorized_tokens\/[^"]+\/delete\/"/g)).toHaveLength(1)
    expect(textOf(page.html)).toContain(`${setup.app.name} 2 grants`)
    const answer = await browser.submit(page, formsAction(page.html))
    expect(answer.status).toBe(303)
    for (const res of [first, second])
      expect((await call('/users/', { token: res.body.access_token })).status).toBe(401)
  })

  it("lists password-grant tokens too, and never another user's", async () => {
    const setup = await passwordSetup()
    expect((await passwordToken(setup)).status).toBe(200)
    const mine = new Browser()
    await mine.signIn(setup.user.username)
    expect(textOf((await mine.get('/o/authorized_tokens/')).html)).toContain(setup.app.name)
    const other = new Browser()
    await other.signIn((await createUser()).username)
    expect(textOf((await other.get('/o/authorized_tokens/')).html)).not.toContain(setup.app.name)
  })

  it("cannot revoke another user's grant (404), nor without the CSRF token (403)", async () => {
    const victim = await authorizationCodeFlow({ scope: 'read' })
    const action = formsAction((await victim.browser.get('/o/authorized_tokens/')).html)
    const attacker = new Browser()
    await attacker.signIn((await createUser()).username)
    const token = formFor((await attacker.get('/')).html, '/accounts/logout/').fields.csrfmiddlewaretoken!
    expect((await attacker.post(action, { csrfmiddlewaretoken: token })).status).toBe(404)
    expect((await victim.browser.post(action, {})).status).toBe(403)
    expect((await call('/users/', { token: victim.tokens.access_token })).status).toBe(200)
  })

  it('needs sign-in', async () => {
    const page = await new Browser().get('/o/authorized_tokens/')
    expect(page.status).toBe(302)
    expect(page.location).toBe(`/accounts/login/?next=${encodeURIComponent('/o/authorized_tokens/')}`)
  })
})

/** The action of the first revoke form on the page. */
function formsAction(html: string): string {
  const m = /action="(\/o\/authorized_tokens\/[^"]+\/delete\/)"/.exec(html)
  if (!m) throw new Error('no revoke form')
  return m[1]!
}

describe('the home page', () => {
  it('says what this is and links the endpoints and discovery documents; asks anonymous visitors to sign in', async () => {
    const page = await new Browser().get('/')
    expect(page.status).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain('OAuth 2 authorization server')
    expect(text).toContain('Issuer: http://127.0.0.1:8787')
    for (const path of ['/o/authorize/', '/o/token/', '/users/', '/groups/']) expect(text).toContain(path)
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/o/.well-known/jwks.json',
    ]) {
      expect(page.html).toContain(`href="${path}"`)
    }
    expect(page.html).toContain('href="/accounts/login/"')
    expect(page.html).not.toContain('href="/o/applications/"')
  })

  it('names the signed-in user and links their pages', async () => {
    const user = await createUser()
    const browser = new Browser()
    await browser.signIn(user.username)
    const page = await browser.get('/')
    expect(textOf(page.html)).toContain(`Signed in as ${user.username}`)
    expect(page.html).toContain('href="/o/applications/"')
    expect(page.html).toContain('href="/o/authorized_tokens/"')
  })
})
