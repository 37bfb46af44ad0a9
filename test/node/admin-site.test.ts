/**
 * The admin site in a real headless Chromium against the shared `wrangler dev` (global setup): a
 * staff user signs in on the way to /admin/, creates a group and a user through the forms, the
 * user gets a token, and deactivating them through /admin/ makes that token 401 at once.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { wranglerLocal } from '../../scripts/lib/dev-server'
import { hashPassword } from '../../src/crypto/password'
import { CHROMIUM } from './chromium'

const baseUrl = inject('baseUrl')
const tag = randomBytes(3).toString('hex')
const staff = { username: `e2e-staff-${tag}`, password: `pw-${randomBytes(12).toString('hex')}` }
const member = { username: `e2e-member-${tag}`, password: `member pass ${randomBytes(6).toString('hex')}` }
const group = `e2e-team-${tag}`
const app = { clientId: `e2e-admin-app-${tag}`, secret: randomBytes(24).toString('base64url') }

let context: BrowserContext
let userDataDir: string
let page: Page

beforeAll(async () => {
  // The staff account and a password-grant client, written to the server's local D1 as the admin CLI would.
  const hash = await hashPassword(staff.password)
  const secretHash = createHash('sha256').update(app.secret).digest('hex')
  wranglerLocal(inject('persistTo'), [
    'd1',
    'execute',
    'DB',
    '--command',
    `insert into users (username, password, is_staff) values ('${staff.username}', '${hash}', 1); ` +
      `insert into applications (client_id, client_secret_hash, name, client_type, authorization_grant_type) ` +
      `values ('${app.clientId}', '${secretHash}', 'e2e admin', 'confidential', 'password')`,
  ])
  userDataDir = mkdtempSync(join(tmpdir(), 'eot-chromium-admin-'))
  context = await chromium.launchPersistentContext(userDataDir, { ...CHROMIUM, headless: true })
  page = context.pages()[0] ?? (await context.newPage())
}, 120_000)

afterAll(async () => {
  await context?.close()
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
})

const passwordGrant = () =>
  fetch(`${baseUrl}/o/token/`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', ...member }),
  })

describe('the admin site in a real browser', () => {
  let token = ''

  it('signs in as staff on the way to /admin/', async () => {
    await page.goto(`${baseUrl}/admin/`)
    expect(new URL(page.url()).pathname).toBe('/accounts/login/')
    await page.getByLabel('Username').fill(staff.username)
    await page.getByLabel('Password').fill(staff.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${baseUrl}/admin/`)
    await expect.poll(() => page.locator('h1').textContent()).toBe('Site administration')
  })

  it('creates a group, then a user in it', async () => {
    await page.goto(`${baseUrl}/admin/auth/group/add/`)
    await page.getByLabel('Name').fill(group)
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Change group “${group}”`)

    await page.goto(`${baseUrl}/admin/auth/user/add/`)
    await page.getByLabel('Username').fill(member.username)
    await page.getByLabel('Password', { exact: true }).fill(member.password)
    await page.locator('#id_password2').fill(member.password)
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Change user “${member.username}”`)
    await page.locator('#id_groups').selectOption({ label: group })
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('The user was changed.')
    expect(await page.locator('#id_groups option:checked').allTextContents()).toEqual([group])
  })

  it('the new user gets a token; deactivating them through /admin/ refuses it at once', async () => {
    const res = await passwordGrant()
    expect(res.status).toBe(200)
    token = ((await res.json()) as { access_token: string }).access_token
    const before = await fetch(`${baseUrl}/users/`, { headers: { Authorization: `Bearer ${token}` } })
    expect(before.status).toBe(200)

    await page.locator('#id_is_active').uncheck()
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('The user was changed.')

    const after = await fetch(`${baseUrl}/users/`, { headers: { Authorization: `Bearer ${token}` } })
    expect(after.status).toBe(401)
    expect(await after.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect((await passwordGrant()).status).toBe(400)
  })
})
