// The admin CLI as an operator runs it, against the same local D1 the dev server reads.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'

const run = promisify(execFile)

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'scripts/admin.ts', '--persist-to', inject('persistTo'), ...args])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const api = (path: string, init?: RequestInit) => fetch(`${inject('baseUrl')}${path}`, init)
const suffix = Date.now().toString(36)

describe('admin CLI', () => {
  it('seeds what the tutorial needs, and the running server uses it', async () => {
    const user = await admin('--json', 'createsuperuser', '--username', `admin-${suffix}`, '--email', 'admin@example.com', '--password', 's3cret-pass')
    expect(user.code).toBe(0)
    // --json: exactly one JSON object on stdout, nothing else.
    expect(JSON.parse(user.stdout)).toEqual({ id: expect.any(Number), username: `admin-${suffix}` })
    expect(user.stdout.trim().split('\n')).toHaveLength(1)

    const group = await admin('--json', 'creategroup', `staff-${suffix}`)
    expect(JSON.parse(group.stdout)).toEqual({ id: expect.any(Number), name: `staff-${suffix}` })
    const member = await admin('--json', 'addtogroup', '--username', `admin-${suffix}`, '--group', `staff-${suffix}`)
    expect(JSON.parse(member.stdout)).toEqual({ username: `admin-${suffix}`, group: `staff-${suffix}` })

    const app = await admin('--json', 'createapp', '--name', 'tutorial', '--client-type', 'confidential', '--grant-type', 'password', '--owner', `admin-${suffix}`)
    const { client_id, client_secret } = JSON.parse(app.stdout)
    expect(client_id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const token = await api('/o/token/', {
      method: 'POST',
      headers: { Authorization: `Basic ${btoa(`${client_id}:${client_secret}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: `admin-${suffix}`, password: 's3cret-pass' }),
    })
    expect(token.status).toBe(200)
    const { access_token } = (await token.json()) as { access_token: string }
    const groups = await api('/groups/', { headers: { Authorization: `Bearer ${access_token}` } })
    expect(await groups.json()).toContainEqual({ name: `staff-${suffix}` })
  })

  it('creates a public client with no secret', async () => {
    const app = await admin('--json', 'createapp', '--name', 'spa', '--client-type', 'public', '--grant-type', 'authorization-code', '--redirect-uris', 'http://127.0.0.1:8009/cb https://app.example.com/cb')
    expect(JSON.parse(app.stdout)).toEqual({ client_id: expect.any(String), client_secret: null })
  })

  it('--print-sql prints SQL for the D1 console and changes nothing', async () => {
    const printed = await admin('--print-sql', 'createuser', '--username', `printed-${suffix}`, '--password', 'x')
    expect(printed.code).toBe(0)
    expect(printed.stdout.trim()).toMatch(/^insert into users .*returning id, username;$/s)
    expect(printed.stdout).not.toContain("'x'") // the password, only as its hash
    // Nothing was written: the same user can still be created.
    const created = await admin('--json', 'createuser', '--username', `printed-${suffix}`, '--password', 'x')
    expect(created.code).toBe(0)
  })

  it.each([
    [['createuser', '--username', 'bad name!', '--password', 'x'], /invalid username/],
    [['addtogroup', '--username', 'nobody-at-all', '--group', 'none'], /no user named "nobody-at-all"/],
    [['createapp', '--name', 'x', '--client-type', 'confidential', '--grant-type', 'implicit'], /--grant-type must be one of/],
    [['createapp', '--name', 'x', '--client-type', 'public', '--grant-type', 'authorization-code', '--redirect-uris', 'http://example.com/cb'], /must use https/],
    [['frobnicate'], /unknown command/],
  ])('refuses %j with one clear line and a non-zero exit', async (args, message) => {
    const res = await admin('--json', ...args)
    expect(res.code).not.toBe(0)
    expect(res.stdout).toBe('')
    const lines = res.stderr.trim().split('\n').filter((l) => l.startsWith('error:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
  })

  it('refuses a duplicate username', async () => {
    await admin('createuser', '--username', `dup-${suffix}`, '--password', 'x')
    const again = await admin('--json', 'createuser', '--username', `dup-${suffix}`, '--password', 'y')
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already exists/)
  })
})
