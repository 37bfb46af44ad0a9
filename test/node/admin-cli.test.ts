// The admin CLI as an operator runs it (a child process, real wrangler), against the same local D1
// the dev server reads; what it seeds is then used through the server's HTTP API.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/token'
import { wranglerLocal } from '../../scripts/lib/dev-server'
import { execute } from '../../scripts/admin/d1'
import { fullwidth } from '../helpers/spellings'

type Run = { code: number; stdout: string; stderr: string }

async function admin(args: string[], persistTo = inject('persistTo')): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', [
      'tsx',
      'scripts/admin.ts',
      '--persist-to',
      persistTo,
      ...args,
    ])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Run
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** `--json`: exit 0, and stdout is exactly one JSON object on one line, stderr empty. */
async function adminJson(...args: string[]): Promise<Record<string, unknown>> {
  const run = await admin(['--json', ...args])
  expect(run).toMatchObject({ code: 0, stderr: '' })
  expect(run.stdout).toMatch(/^\{[^\n]*\}\n$/)
  return JSON.parse(run.stdout)
}

/** Rows of a query against the dev server's local D1, straight through wrangler. */
function d1(sql: string): Record<string, unknown>[][] {
  const out = wranglerLocal(inject('persistTo'), ['d1', 'execute', 'DB', '--json', '--command', sql])
  return (JSON.parse(out) as { results: Record<string, unknown>[] }[]).map((s) => s.results)
}

const api = (path: string, init?: RequestInit) => fetch(`${inject('baseUrl')}${path}`, init)
const tokenRequest = (clientId: string, secret: string, form: Record<string, string>) =>
  api('/o/token/', {
    method: 'POST',
    headers: {
      Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  })
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

const suffix = Date.now().toString(36)
const admin1 = `admin-${suffix}`
const staff1 = `staff.member+${suffix}`
const group = `editors ${suffix}`

// Every command starts wrangler (5–15 s each, more on a busy machine); some tests run six or more.
describe('admin CLI', { timeout: 240_000 }, () => {
  it('works on a fresh state: it applies the migrations first', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'eot-admin-'))
    try {
      const run = await admin(['--json', 'creategroup', 'first'], fresh)
      expect(run).toEqual({ code: 0, stdout: '{"id":1,"name":"first"}\n', stderr: '' })
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })

  it('--print-sql prints the guarded SQL and changes nothing', async () => {
    const run = await admin([
      '--print-sql',
      'createuser',
      '--username',
      `printed-${suffix}`,
      '--password',
      'quiet mountain river',
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^insert into users \(.*\)\n {2}select .*\n {2}where not exists \(select 1 from users where username = 'printed-[0-9a-z]+'\)\n {2}returning id, username;\n$/,
    )
    expect(run.stdout).toContain("'$scrypt$ln=14,r=8,p=5$") // the password only as its hash
    expect(run.stdout).not.toContain('quiet mountain river')
    expect(d1(`select count(*) as n from users where username = 'printed-${suffix}'`)).toEqual([[{ n: 0 }]])

    // An application's secret cannot be read back from its SQL (only the digest is there): stderr shows it once.
    const app = await admin([
      '--print-sql',
      'createapp',
      '--name',
      'pasted',
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
    ])
    const [, clientId, secret] = /^client_id: (\S+)\nclient_secret: (\S+) \(shown this once/.exec(app.stderr) ?? []
    expect(app.stdout).toContain(
      `select '${clientId}', '${sha256Hex(secret!)}', 'pasted', null, 'confidential', 'password'`,
    )
    expect(app.stdout).not.toContain(secret)
  })

  it('createapp --skip-authorization sets the flag the application pages never offer', async () => {
    const app = (skip: string[]) =>
      adminJson(
        'createapp',
        '--name',
        'first-party',
        '--client-type',
        'public',
        '--grant-type',
        'authorization-code',
        '--redirect-uris',
        'http://127.0.0.1:8009/cb',
        ...skip,
      )
    const [trusted, plain] = [await app(['--skip-authorization']), await app([])]
    expect(
      d1(
        `select client_id, skip_authorization from applications where client_id in ('${trusted.client_id}', '${plain.client_id}') order by id`,
      ),
    ).toEqual([
      [
        { client_id: trusted.client_id, skip_authorization: 1 },
        { client_id: plain.client_id, skip_authorization: 0 },
      ],
    ])
  })

  it('seeds users, a group, a membership and each kind of application, which the server then uses', async () => {
    const superuser = await adminJson(
      'createsuperuser',
      '--username',
      admin1,
      '--email',
      'admin@example.com',
      '--password',
      'correct horse battery',
      '--first-name',
      "O'Neil",
    )
    expect(superuser).toEqual({ id: expect.any(Number), username: admin1 })
    const staff = await adminJson('createuser', '--username', staff1, '--password', 'violet lantern seven', '--staff')
    expect(await adminJson('creategroup', group)).toEqual({ id: expect.any(Number), name: group })
    expect(await adminJson('addtogroup', '--username', staff1, '--group', group)).toEqual({ username: staff1, group })
    const password = await adminJson(
      'createapp',
      '--name',
      'tutorial',
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
      '--owner',
      admin1,
    )
    expect(password).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    })
    const spa = await adminJson(
      'createapp',
      '--name',
      'spa',
      '--client-type',
      'public',
      '--grant-type',
      'authorization-code',
      '--redirect-uris',
      'http://127.0.0.1:8009/cb  https://app.example.com/cb',
      '--allowed-origins',
      'https://app.example.com',
    )
    expect(spa).toEqual({ client_id: expect.any(String), client_secret: null })
    const service = await adminJson(
      'createapp',
      '--name',
      'service',
      '--client-type',
      'confidential',
      '--grant-type',
      'client-credentials',
    )

    // In D1: flags and membership as asked; secrets only as their SHA-256, public clients none.
    const [users, apps, members] = d1(
      `select username, email, first_name, is_staff, is_superuser, is_active from users where id in (${superuser.id}, ${staff.id}) order by id;
       select client_id, client_secret_hash, name, user_id, client_type, authorization_grant_type, redirect_uris, allowed_origins, skip_authorization from applications where client_id in ('${password.client_id}', '${spa.client_id}') order by id;
       select u.username, g.name from user_groups m join users u on u.id = m.user_id join groups g on g.id = m.group_id where g.name = '${group}'`,
    )
    expect(users).toEqual([
      {
        username: admin1,
        email: 'admin@example.com',
        first_name: "O'Neil",
        is_staff: 1,
        is_superuser: 1,
        is_active: 1,
      },
      { username: staff1, email: '', first_name: '', is_staff: 1, is_superuser: 0, is_active: 1 },
    ])
    expect(apps).toEqual([
      {
        ...{
          client_id: password.client_id,
          client_secret_hash: sha256Hex(password.client_secret as string),
          name: 'tutorial',
          user_id: superuser.id,
        },
        ...{
          client_type: 'confidential',
          authorization_grant_type: 'password',
          redirect_uris: '',
          allowed_origins: '',
          skip_authorization: 0,
        },
      },
      {
        ...{ client_id: spa.client_id, client_secret_hash: null, name: 'spa', user_id: null, client_type: 'public' },
        ...{
          authorization_grant_type: 'authorization-code',
          redirect_uris: 'http://127.0.0.1:8009/cb https://app.example.com/cb',
        },
        ...{ allowed_origins: 'https://app.example.com', skip_authorization: 0 },
      },
    ])
    expect(members).toEqual([{ username: staff1, name: group }])

    // The tutorial's first steps against the running server, with what the CLI made.
    const token = await tokenRequest(password.client_id as string, password.client_secret as string, {
      grant_type: 'password',
      username: staff1,
      password: 'violet lantern seven',
    })
    expect(token.status).toBe(200)
    const { access_token, scope } = (await token.json()) as { access_token: string; scope: string }
    expect(scope).toBe('read write groups')
    const list = await api('/users/', bearer(access_token))
    expect(list.status).toBe(200)
    expect(await list.json()).toEqual(
      expect.arrayContaining([
        { username: admin1, email: 'admin@example.com', first_name: "O'Neil", last_name: '' },
        { username: staff1, email: '', first_name: '', last_name: '' },
      ]),
    )
    const detail = await api(`/users/${superuser.id}/`, bearer(access_token))
    expect(await detail.json()).toEqual({
      username: admin1,
      email: 'admin@example.com',
      first_name: "O'Neil",
      last_name: '',
    })
    expect(await (await api('/groups/', bearer(access_token))).json()).toContainEqual({ name: group })

    // The client_credentials app authenticates with its secret; its token has no user, so the API says 403.
    const serviceToken = await tokenRequest(service.client_id as string, service.client_secret as string, {
      grant_type: 'client_credentials',
    })
    expect(serviceToken.status).toBe(200)
    const body = (await serviceToken.json()) as Record<string, unknown>
    expect(body).not.toHaveProperty('refresh_token')
    expect((await api('/users/', bearer(body.access_token as string))).status).toBe(403)
  })

  it.each([
    [['createuser', '--username', 'bad name!', '--password', 'x'], /^error: invalid username "bad name!"/],
    [
      ['createsuperuser', '--username', `e-${suffix}`, '--email', 'not-an-email', '--password', 'x'],
      /^error: invalid email "not-an-email"$/,
    ],
    [['createsuperuser', '--username', `e-${suffix}`, '--password', 'x'], /^error: --email is required$/],
    [
      ['createuser', '--username', admin1, '--password', 'long enough pw'],
      new RegExp(`^error: a user named "${admin1}" already exists$`),
    ],
    // NFKC, as the API takes usernames: the fullwidth spelling of a name is that name, taken.
    [
      ['createuser', '--username', fullwidth(admin1), '--password', 'long enough pw'],
      new RegExp(`^error: a user named "${admin1}" already exists$`),
    ],
    [
      ['createuser', '--username', 'ﷺ'.repeat(9), '--password', 'long enough pw'],
      /^error: invalid username ".*": Ensure this field has no more than 150 characters\.$/,
    ],
    // Django's password validators, every problem on the one line.
    [
      ['createuser', '--username', `weak-${suffix}`, '--password', '1'],
      /^error: --password: This password is too short\. It must contain at least 8 characters\. This password is entirely numeric\.$/,
    ],
    [
      ['createsuperuser', '--username', `weak-${suffix}`, '--email', 'a@example.com', '--password', `WEAK-${suffix}`],
      /^error: --password: The password is too similar to the username\.$/,
    ],
    [['creategroup', group], new RegExp(`^error: a group named "${group}" already exists$`)],
    [
      ['addtogroup', '--username', staff1, '--group', `none-${suffix}`],
      new RegExp(`^error: no group named "none-${suffix}"$`),
    ],
    [
      [
        'createapp',
        '--name',
        'x',
        '--client-type',
        'confidential',
        '--grant-type',
        'password',
        '--owner',
        `nobody-${suffix}`,
      ],
      /^error: no user named "nobody-/,
    ],
    [
      ['createapp', '--name', 'x', '--client-type', 'confidential', '--grant-type', 'implicit'],
      /^error: --grant-type: .* One of: authorization-code, password, client-credentials\.$/,
    ],
    [
      ['createapp', '--name', 'x', '--client-type', 'public', '--grant-type', 'client-credentials'],
      /^error: --client-type: Client credentials need a confidential client/,
    ],
    [
      [
        'createapp',
        '--name',
        'x',
        '--client-type',
        'public',
        '--grant-type',
        'authorization-code',
        '--redirect-uris',
        'http://example.com/cb',
      ],
      /^error: --redirect-uris: .*must use https/,
    ],
    [
      [
        'createapp',
        '--name',
        'x',
        '--client-type',
        'public',
        '--grant-type',
        'authorization-code',
        '--redirect-uris',
        'https://a.example/cb#x',
      ],
      /^error: --redirect-uris: .*fragment/,
    ],
    [
      ['changepassword', '--username', `nobody-${suffix}`, '--password', 'long enough pw'],
      /^error: no user named "nobody-/,
    ],
    [
      ['changepassword', '--username', admin1, '--password', '12345678901'],
      /^error: --password: This password is entirely numeric\.$/,
    ],
    [['creategroup', 'g', '--staff'], /^error: creategroup does not take --staff$/],
    [['frobnicate'], /^error: unknown command "frobnicate"/],
  ])('refuses %j: non-zero exit, one line on stderr, nothing on stdout', async (args, message) => {
    const run = await admin(['--json', ...args])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)])
  })

  it('writes nothing for a refused password', () => {
    expect(d1(`select count(*) as n from users where username = 'weak-${suffix}'`)).toEqual([[{ n: 0 }]])
  })

  it('takes every --username (and --owner) NFKC-normalised, as the API, sign-in and the password grant do', async () => {
    const username = `nfkc-${suffix}`
    expect(
      await adminJson('createuser', '--username', fullwidth(username), '--password', 'the first password'),
    ).toEqual({ id: expect.any(Number), username })
    expect(
      await adminJson('changepassword', '--username', fullwidth(username), '--password', 'the second password'),
    ).toEqual({ username, sessions_ended: 0 })
    expect(await adminJson('addtogroup', '--username', fullwidth(username), '--group', group)).toEqual({
      username,
      group,
    })
    const app = await adminJson(
      'createapp',
      '--name',
      'nfkc',
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
      '--owner',
      fullwidth(username),
    )
    expect(
      d1(
        `select u.username from applications a join users u on u.id = a.user_id where a.client_id = '${app.client_id}'`,
      ),
    ).toEqual([[{ username }]])
    const token = await tokenRequest(app.client_id as string, app.client_secret as string, {
      grant_type: 'password',
      username: fullwidth(username),
      password: 'the second password',
    })
    expect(token.status).toBe(200)
  })

  it('changepassword sets a new password and signs the user out everywhere', async () => {
    const username = `changing-${suffix}`
    const user = await adminJson('createuser', '--username', username, '--password', 'the first password')
    const app = await adminJson(
      'createapp',
      '--name',
      'pw',
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
    )
    d1(
      `insert into sessions (id_hash, user_id, csrf_secret, expires_at) values ('${sha256Hex(`s-${suffix}`)}', ${user.id}, 'x', unixepoch() + 3600)`,
    )
    expect(await adminJson('changepassword', '--username', username, '--password', 'the second password')).toEqual({
      username,
      sessions_ended: 1,
    })
    expect(d1(`select count(*) as n from sessions where user_id = ${user.id}`)).toEqual([[{ n: 0 }]])
    const grant = (password: string) =>
      tokenRequest(app.client_id as string, app.client_secret as string, { grant_type: 'password', username, password })
    expect((await grant('the first password')).status).toBe(400)
    expect((await grant('the second password')).status).toBe(200)
  })

  it('cleanup deletes a backlog larger than one batch, and keeps what still counts', async () => {
    // 1,200 rate-limit windows long over (one statement deletes at most 1,000), and one current.
    d1(`insert into rate_limits (key, window_start, failures)
      with recursive n(i) as (select 1 union all select i + 1 from n where i < 1200)
      select 'old-${suffix}-' || i, 0, 1 from n`)
    d1(`insert into rate_limits (key, window_start, failures) values ('now-${suffix}', unixepoch(), 1)`)
    const answer = await adminJson('cleanup')
    expect((answer.deleted as Record<string, number>).rate_limits).toBeGreaterThanOrEqual(1200)
    expect(d1(`select count(*) as n from rate_limits where key like 'old-${suffix}-%'`)).toEqual([[{ n: 0 }]])
    expect(d1(`select count(*) as n from rate_limits where key = 'now-${suffix}'`)).toEqual([[{ n: 1 }]])
  })

  it('works while the server is busy writing the same local database', async () => {
    // Failed password grants from many addresses: each writes rate-limit rows in D1.
    let busy = true
    let sent = 0
    const load = (async () => {
      while (busy) {
        await Promise.all(
          Array.from({ length: 8 }, () =>
            api('/o/token/', {
              method: 'POST',
              headers: {
                'Content-Type': 'application/x-www-form-urlencoded',
                'CF-Connecting-IP': `198.18.0.${sent++ % 250}`,
              },
              body: new URLSearchParams({
                grant_type: 'password',
                username: `nobody-${sent}`,
                password: 'x',
                client_id: 'none',
              }),
            }).catch(() => {}),
          ),
        )
      }
    })()
    try {
      for (let i = 0; i < 3; i++)
        expect(await adminJson('creategroup', `busy ${i} ${suffix}`)).toMatchObject({ name: `busy ${i} ${suffix}` })
    } finally {
      busy = false
      await load
    }
    expect(sent).toBeGreaterThan(0)
  })

  it('reports a UNIQUE constraint failure from wrangler as one line', () => {
    // The CLI's guarded inserts leave this to a concurrent writer; here it is provoked directly.
    const target = { remote: false, persistTo: inject('persistTo') }
    let error: unknown
    try {
      execute(target, `insert into groups (name) values ('twice-${suffix}'), ('twice-${suffix}')`)
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({
      name: 'D1Error',
      message: 'UNIQUE constraint failed: groups.name',
      isUniqueViolation: true,
    })
  })
})
