/**
 * End to end through a real headless Chromium against `wrangler dev`: the tutorial's browser half
 * (sign in, register a confidential password-grant app through the form, read its credentials off
 * the page, get a token with the tutorial's curl request), then the authorization code flow with
 * PKCE and consent, as a native app with a loopback redirect would run it, ending in an API call.
 * Screenshots of every page go to test-results/screenshots/ (desktop and a 390 px phone).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort, wranglerLocal } from '../../scripts/lib/dev-server'
import { hashPassword } from '../../src/crypto/password'
import { CHROMIUM } from './chromium'

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots')
const PHONE = { width: 390, height: 844 }

const baseUrl = inject('baseUrl')
const username = `e2e-alice-${randomBytes(3).toString('hex')}`
const password = `pw-${randomBytes(12).toString('hex')}`

let context: BrowserContext
let userDataDir: string
let page: Page
let phone: Page
let loopback: { server: Server; port: number }

const base64url = (b: Buffer) => b.toString('base64url')

async function shoot(name: string, target: Page = page) {
  await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** The same page at phone width, with the same session (one browser context, shared cookies). */
async function shootPhone(name: string, path = new URL(page.url()).pathname + new URL(page.url()).search) {
  await phone.goto(`${baseUrl}${path}`)
  await shoot(`${name}.phone`, phone)
}

/** A native app's loopback listener (RFC 8252 §7.3): it answers the redirect with a small page. */
async function startLoopbackListener() {
  const port = await freePort()
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' })
    res.end('<!DOCTYPE html><title>Signed in</title><p>You can close this window and return to the app.</p>')
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, port }
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true })
  // The account the person signs in with, written to the server's local D1 as the admin CLI would.
  const hash = await hashPassword(password)
  wranglerLocal(inject('persistTo'), [
    'd1',
    'execute',
    'DB',
    '--command',
    `insert into users (username, password, email, first_name, last_name) values ('${username}', '${hash}', 'alice@example.com', 'Alice', 'Liddell')`,
  ])
  userDataDir = mkdtempSync(join(tmpdir(), 'eot-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    ...CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
  })
  page = context.pages()[0] ?? (await context.newPage())
  phone = await context.newPage()
  await phone.setViewportSize(PHONE)
  loopback = await startLoopbackListener()
}, 120_000)

afterAll(async () => {
  await context?.close()
  loopback?.server.close()
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
})

describe('in a real browser', () => {
  const credentials = { clientId: '', secret: '' }

  it('signs in on the way to /o/applications/', async () => {
    await page.goto(`${baseUrl}/o/applications/`)
    expect(new URL(page.url()).pathname).toBe('/accounts/login/')
    await shoot('01-sign-in')
    await shootPhone('01-sign-in')
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('Please enter a correct username and password')
    await shoot('02-sign-in-failed')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${baseUrl}/o/applications/`)
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your applications')
    await shoot('03-applications-empty')
  })

  it('registers the tutorial app through the form and reads its credentials off the page', async () => {
    await page.getByRole('link', { name: 'New application' }).click()
    await page.waitForURL(`${baseUrl}/o/applications/register/`)
    await page.getByLabel('Name').fill('tutorial')
    await page.getByLabel('Client type').selectOption({ label: 'Confidential' })
    await page.getByLabel('Authorization grant type').selectOption({ label: 'Resource owner password-based' })
    await shoot('04-register-form')
    await shootPhone('04-register-form')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe('tutorial')
    credentials.clientId = (await page.locator('#client-id').textContent())!.trim()
    credentials.secret = (await page.locator('#client-secret').textContent())!.trim()
    expect(credentials.clientId).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(credentials.secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    await shoot('05-application-created')
  })

  it('gets a token with them, the tutorial’s curl request, and calls the API', async () => {
    // curl -X POST -d "grant_type=password&username=<user_name>&password=<password>" -u"<client_id>:<client_secret>" …/o/token/
    const res = await fetch(`${baseUrl}/o/token/`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.secret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'password', username, password }),
    })
    expect(res.status).toBe(200)
    const token = (await res.json()) as { access_token: string }
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 36000, scope: 'read write groups' })
    const users = await fetch(`${baseUrl}/users/`, { headers: { Authorization: `Bearer ${token.access_token}` } })
    expect(users.status).toBe(200)
    expect(await users.json()).toContainEqual({
      username,
      email: 'alice@example.com',
      first_name: 'Alice',
      last_name: 'Liddell',
    })
  })

  it('runs the authorization code flow with PKCE and consent, ending in an API call', async () => {
    // A public client (a native app): registered through the form with a loopback redirect.
    await page.goto(`${baseUrl}/o/applications/register/`)
    await page.getByLabel('Name').fill('Notes for Desktop')
    await page.getByLabel('Client type').selectOption({ label: 'Public' })
    await page.getByLabel('Authorization grant type').selectOption({ label: 'Authorization code' })
    await page.getByLabel('Redirect URIs').fill('http://127.0.0.1/callback')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe('Notes for Desktop')
    const clientId = (await page.locator('#client-id').textContent())!.trim()
    await shoot('06-public-application')
    const edit = await page.getByRole('link', { name: 'Edit' }).getAttribute('href')
    await shootPhone('06-public-application', edit!.replace(/update\/$/, ''))

    const verifier = base64url(randomBytes(48))
    const challenge = base64url(createHash('sha256').update(verifier).digest())
    const state = base64url(randomBytes(12))
    // RFC 8252 §7.3: the app listens on whatever port was free; the registered URI has none.
    const redirectUri = `http://127.0.0.1:${loopback.port}/callback`
    const authorize = new URL(`${baseUrl}/o/authorize/`)
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'read write',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(k, v)
    }
    await page.goto(authorize.toString())
    await expect.poll(() => page.locator('h1').textContent()).toBe('Authorize Notes for Desktop?')
    expect(await page.locator('ul.scopes').textContent()).toContain('Read scope')
    await shoot('07-consent')
    await shootPhone('07-consent')

    await page.getByRole('button', { name: 'Authorize' }).click()
    await page.waitForURL((url) => url.port === String(loopback.port))
    const answer = new URL(page.url())
    expect(answer.pathname).toBe('/callback')
    expect(answer.searchParams.get('state')).toBe(state)
    expect(answer.searchParams.get('iss')).toBe(baseUrl)
    const code = answer.searchParams.get('code')!

    const res = await fetch(`${baseUrl}/o/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    })
    expect(res.status).toBe(200)
    const tokens = (await res.json()) as { access_token: string }
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read write' })
    const me = await fetch(`${baseUrl}/users/`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(me.status).toBe(200)
    const listed = (await me.json()) as Array<{ username: string }>
    expect(listed.map((u) => u.username)).toContain(username)
  })

  it('shows the grant under Authorized apps, and the remaining pages', async () => {
    await page.goto(`${baseUrl}/o/authorized_tokens/`)
    expect(await page.locator('main').textContent()).toContain('Notes for Desktop')
    await shoot('08-authorized-apps')
    await shootPhone('08-authorized-apps')
    await page.goto(`${baseUrl}/o/applications/`)
    await shoot('09-applications')
    await shootPhone('09-applications')
    await page.goto(`${baseUrl}/`)
    await shoot('10-home')
    await shootPhone('10-home')
    const error = await page.goto(`${baseUrl}/o/authorize/?response_type=code&client_id=no-such-client`)
    expect(error!.status()).toBe(400)
    await shoot('11-authorize-error')
    await page.goto(`${baseUrl}/o/applications/register/`)
    await page.getByLabel('Name').fill('Broken')
    await page.getByLabel('Authorization grant type').selectOption({ label: 'Authorization code' })
    await page.getByLabel('Redirect URIs').fill('http://app.example/callback#frag')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('.field-error').first().textContent()).toContain('has a fragment')
    await shoot('12-register-errors')
    await shootPhone('12-register-errors', '/o/applications/register/')
  })

  it('changes the password through its form, each error beside its field; the new one signs in', async () => {
    const changeTo = async (next: string) => {
      await page.locator('#id_old_password').fill(password)
      await page.locator('#id_new_password1').fill(next)
      await page.locator('#id_new_password2').fill(next)
      await page.getByRole('button', { name: 'Change my password' }).click()
    }
    await page.goto(`${baseUrl}/`)
    await page.getByRole('link', { name: 'Change password' }).click()
    await changeTo('12345678')
    await expect
      .poll(() => page.locator('#id_new_password1-error').textContent())
      .toContain('This password is entirely numeric.')
    await shoot('13-password-change-errors')
    await shootPhone('13-password-change', '/accounts/password_change/')
    const newPassword = `${password}-new`
    await changeTo(newPassword)
    await page.waitForURL(/\/accounts\/password_change\/done\/$/)
    expect(await page.locator('main').textContent()).toContain('Your password was changed.')
    await shoot('14-password-changed')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/accounts\/login\/$/)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(newPassword)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${baseUrl}/`)
    expect(await page.locator('header').textContent()).toContain(username)
  })
})
