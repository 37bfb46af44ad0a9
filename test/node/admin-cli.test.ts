// The admin CLI against the same local D1 and KV the dev server reads; what it seeds is then used
// through the server's HTTP API, and what it revokes is refused by it. Most commands run in this
// process (runCli, the very function the `npm run admin` process runs) on one shared runner, so the
// file pays for one Miniflare start instead of one Node, tsx and Miniflare start per command; what
// only a real process shows (exit codes, stdin, a fresh state's migrations, the vars read from the
// environment) is checked with a handful of real CLI processes.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/token'
import { openLocalState, type LocalState } from '../../scripts/admin/local'
import { runCli } from '../../scripts/admin/main'
import { openRunner, type Runner } from '../../scripts/admin/runner'
import type { CliVars } from '../../scripts/admin/vars'
import { fullwidth } from '../helpers/spellings'

type Run = { code: number; stdout: string; stderr: string }

/** Runs the CLI as a process (`node --import tsx`, as `npm run admin` without npm's start-up), optionally feeding stdin. */
function spawnAdmin(args: string[], options: { persistTo?: string; stdin?: string; env?: CliVars } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/admin.ts', '--persist-to', options.persistTo ?? inject('persistTo'), ...args],
      { env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    )
    child.stdin!.end(options.stdin ?? '')
  })
}

// The dev server's local D1 and KV: a runner for the CLI's in-process runs, and plain SQL behind their backs.
let local: Runner
let state: LocalState
beforeAll(async () => {
  ;[local, state] = await Promise.all([
    openRunner({ remote: false, persistTo: inject('persistTo') }),
    openLocalState(inject('persistTo')),
  ])
})
afterAll(async () => {
  await local?.close()
  await state?.dispose()
})

/**
 * Runs the CLI in this process on the shared runner (`vars` over the target's own): the exit code
 * and the lines it wrote, as a process would have printed them.
 */
async function admin(args: string[], vars: CliVars = {}): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(['--persist-to', inject('persistTo'), ...args], {
    out: (line) => out.push(`${line}\n`),
    err: (line) => err.push(`${line}\n`),
    openRunner: async () => ({ ...local, vars: { ...local.vars, ...vars }, close: async () => {} }),
  })
  return { code, stdout: out.join(''), stderr: err.join('') }
}

/** `--json`: exit 0, and stdout is exactly one JSON object on one line, stderr empty. */
async function adminJson(...args: string[]): Promise<Record<string, unknown>> {
  const run = await admin(['--json', ...args])
  expect(run).toMatchObject({ code: 0, stderr: '' })
  expect(run.stdout).toMatch(/^\{[^\n]*\}\n$/)
  return JSON.parse(run.stdout)
}

/** Rows of each statement, run in one batch against the dev server's local D1. */
async function d1(...statements: string[]): Promise<Record<string, unknown>[][]> {
  const results = await state.d1.batch(statements.map((s) => state.d1.prepare(s)))
  return results.map((r) => r.results as Record<string, unknown>[])
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

describe('admin CLI', { timeout: 240_000 }, () => {
  it("as a process: applies a fresh state's migrations first, exits 2 on bad input and 1 on a refusal", async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'eot-admin-'))
    try {
      const [created, bad, builtIn] = await Promise.all([
        spawnAdmin(['--json', 'creategroup', 'first'], { persistTo: fresh }),
        spawnAdmin(['--json', 'frobnicate']),
        // The built-in API's URI (API_RESOURCE, read from the environment) is a resource already (exit 1).
        spawnAdmin(['--json', 'createresource', '--uri', `${inject('baseUrl')}/`], {
          env: { API_RESOURCE: `${inject('baseUrl')}/` },
        }),
      ])
      expect(created).toEqual({ code: 0, stdout: '{"id":1,"name":"first"}\n', stderr: '' })
      expect(bad).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(/^error: unknown command "frobnicate" [^\n]*\n$/),
      })
      expect(builtIn).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: --uri: ${inject('baseUrl')}/ is the built-in users/groups API's URI, a resource already\n`,
      })
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })

  it("--print-sql prints the store's SQL, which pasted twice inserts once, and changes nothing", async () => {
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
      /^insert into "users" \([^\n]*\) values \(null, 'printed-[0-9a-z]+', [^\n]*\) on conflict \("users"."username"\) do nothing returning [^\n]*;\n$/,
    )
    expect(run.stdout).toContain("'$scrypt$ln=14,r=8,p=5$") // the password only as its hash
    expect(run.stdout).not.toContain('quiet mountain river')
    expect(await d1(`select count(*) as n from users where username = 'printed-${suffix}'`)).toEqual([[{ n: 0 }]])
    // Pasted into the D1 console twice: the second insert does nothing.
    await d1(run.stdout, run.stdout)
    expect(await d1(`select count(*) as n from users where username = 'printed-${suffix}'`)).toEqual([[{ n: 1 }]])

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
      `values (null, '${clientId}', '${sha256Hex(secret!)}', 'pasted', null, 'confidential', 'password', '', '', 0,`,
    )
    expect(app.stdout).not.toContain(secret)
    expect(await d1(`select count(*) as n from applications where client_id = '${clientId}'`)).toEqual([[{ n: 0 }]])
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
      await d1(
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
      client_id: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
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
    const [users, apps, members] = await d1(
      `select username, email, first_name, is_staff, is_superuser, is_active from users where id in (${superuser.id}, ${staff.id}) order by id`,
      `select client_id, client_secret_hash, name, user_id, client_type, authorization_grant_type, redirect_uris, allowed_origins, skip_authorization from applications where client_id in ('${password.client_id}', '${spa.client_id}') order by id`,
      `select u.username, g.name from user_groups m join users u on u.id = m.user_id join groups g on g.id = m.group_id where g.name = '${group}'`,
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
      /^error: --password: This password is too short. It must contain at least 8 characters. This password is entirely numeric.$/,
    ],
    [
      ['createsuperuser', '--username', `weak-${suffix}`, '--email', 'a@example.com', '--password', `WEAK-${suffix}`],
      /^error: --password: The password is too similar to the username.$/,
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
      /^error: --grant-type: .* One of: authorization-code, password, client-credentials.$/,
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
      /^error: --password: This password is entirely numeric.$/,
    ],
    [['creategroup', 'g', '--staff'], /^error: creategroup does not take --staff$/],
    [['deactivateuser', '--username', `nobody-${suffix}`], /^error: no user named "nobody-/],
    [['deleteapp', '--client-id', `none-${suffix}`], /^error: no application with client_id "none-/],
    [['setstaff', '--username', admin1, '--group', 'x'], /^error: setstaff does not take --group$/],
    [
      ['createuser', '--username', `pw-${suffix}`, '--password', 'x', '--password-stdin'],
      /^error: --password and --password-stdin: give one$/,
    ],
    [['createuser', '--username', `pw-${suffix}`], /^error: --password or --password-stdin is required$/],
    [['frobnicate'], /^error: unknown command "frobnicate"/],
    [['creategroup', 'nul\0name'], /^error: values must not contain NUL characters$/],
  ])('refuses %j: non-zero exit, one line on stderr, nothing on stdout', async (args, message) => {
    const run = await admin(['--json', ...args])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)])
  })

  it('of concurrent creations of one name, exactly one succeeds; the others are refused as taken', async () => {
    const name = `raced ${suffix}`
    const runs = await Promise.all(Array.from({ length: 4 }, () => admin(['--json', 'creategroup', name])))
    expect(runs.map((r) => r.code).sort()).toEqual([0, 2, 2, 2])
    expect(runs.filter((r) => r.code === 2).map((r) => r.stderr)).toEqual(
      Array(3).fill(`error: a group named "${name}" already exists\n`),
    )
    expect(await d1(`select count(*) as n from groups where name = '${name}'`)).toEqual([[{ n: 1 }]])
  })

  it('writes nothing for a refused password', async () => {
    expect(await d1(`select count(*) as n from users where username = 'weak-${suffix}'`)).toEqual([[{ n: 0 }]])
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
      await d1(
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
    await d1(
      `insert into sessions (id_hash, user_id, csrf_secret, expires_at) values ('${sha256Hex(`s-${suffix}`)}', ${user.id}, 'x', unixepoch() + 3600)`,
    )
    expect(await adminJson('changepassword', '--username', username, '--password', 'the second password')).toEqual({
      username,
      sessions_ended: 1,
    })
    expect(await d1(`select count(*) as n from sessions where user_id = ${user.id}`)).toEqual([[{ n: 0 }]])
    const grant = (password: string) =>
      tokenRequest(app.client_id as string, app.client_secret as string, { grant_type: 'password', username, password })
    expect((await grant('the first password')).status).toBe(400)
    expect((await grant('the second password')).status).toBe(200)
  })

  it('cleanup, as the cron: a backlog larger than one batch, and self-registered clients unused for UNUSED_CLIENT_DAYS', async () => {
    // 1,200 rate-limit windows long over (one statement deletes at most 1,000), and one current.
    await d1(`insert into rate_limits (key, window_start, failures)
      with recursive n(i) as (select 1 union all select i + 1 from n where i < 1200)
      select 'old-${suffix}-' || i, 0, 1 from n`)
    await d1(`insert into rate_limits (key, window_start, failures) values ('now-${suffix}', unixepoch(), 1)`)
    // Clients last used 3 days and 1 day ago, and one a person registered 100 days ago and never used.
    const client = (id: string, registration: string, at: string) =>
      `insert into applications (client_id, name, client_type, authorization_grant_type, registration, last_used_at, created)
       values ('${id}-${suffix}', '${id}', 'public', 'authorization-code', '${registration}', ${at}, ${at})`
    await d1(
      client('stale', 'dynamic', 'unixepoch() - 3 * 86400'),
      client('recent', 'dynamic', 'unixepoch() - 86400'),
      client('manual', 'manual', 'unixepoch() - 100 * 86400'),
    )
    // UNUSED_CLIENT_DAYS=2 from the environment, over wrangler.toml's 30: the stale client goes.
    const run = await spawnAdmin(['--json', 'cleanup'], { env: { UNUSED_CLIENT_DAYS: '2' } })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const { deleted } = JSON.parse(run.stdout) as { deleted: Record<string, number> }
    expect(deleted.rate_limits).toBeGreaterThanOrEqual(1200)
    expect(deleted.applications).toBeGreaterThanOrEqual(1)
    expect(await d1(`select count(*) as n from rate_limits where key like 'old-${suffix}-%'`)).toEqual([[{ n: 0 }]])
    expect(await d1(`select count(*) as n from rate_limits where key = 'now-${suffix}'`)).toEqual([[{ n: 1 }]])
    expect(await d1(`select client_id from applications where client_id like '%-${suffix}' order by id`)).toEqual([
      [{ client_id: `recent-${suffix}` }, { client_id: `manual-${suffix}` }],
    ])
  })

  it('--password-stdin takes one line without its line ending, and the validators still apply', async () => {
    const username = `stdin-${suffix}`
    // Two processes at once: a new user's password, and a weak one refused for a user that exists.
    const [run, weak] = await Promise.all([
      spawnAdmin(['--json', 'createuser', '--username', username, '--password-stdin'], {
        stdin: 'amber cobalt meadow\r\n',
      }),
      spawnAdmin(['--json', 'changepassword', '--username', admin1, '--password-stdin'], { stdin: '12345678901\n' }),
    ])
    expect(run).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^\{"id":\d+,"username":"stdin-[0-9a-z]+"\}\n$/),
      stderr: '',
    })
    expect(weak).toEqual({ code: 2, stdout: '', stderr: 'error: --password: This password is entirely numeric.\n' })
    const app = await adminJson(
      'createapp',
      '--name',
      'stdin',
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
    )
    const token = await tokenRequest(app.client_id as string, app.client_secret as string, {
      grant_type: 'password',
      username,
      password: 'amber cobalt meadow',
    })
    expect(token.status).toBe(200)
  })

  it('lists, deactivates, revokes, demotes and deletes; revoked tokens are refused by the server at once', async () => {
    const [alice, bob] = [`alice-${suffix}`, `bob-${suffix}`]
    const team = `team ${suffix}`
    const a = await adminJson(
      'createuser',
      '--username',
      alice,
      '--password',
      'plum orbit candle',
      '--email',
      `${alice}@example.com`,
    )
    await adminJson('createuser', '--username', bob, '--password', 'plum orbit candle')
    await adminJson('creategroup', team)
    await adminJson('addtogroup', '--username', alice, '--group', team)
    // An application without owner, as the tutorial creates it, and one of each user's tokens.
    const app = await adminJson(
      'createapp',
      '--name',
      `ownerless ${suffix}`,
      '--client-type',
      'confidential',
      '--grant-type',
      'password',
    )
    const service = await adminJson(
      'createapp',
      '--name',
      'job',
      '--client-type',
      'confidential',
      '--grant-type',
      'client-credentials',
    )
    const tokenOf = async (username: string) => {
      const res = await tokenRequest(app.client_id as string, app.client_secret as string, {
        grant_type: 'password',
        username,
        password: 'plum orbit candle',
      })
      expect(res.status).toBe(200)
      return (await res.json()) as { access_token: string; refresh_token: string }
    }
    const [aliceToken, bobToken] = [await tokenOf(alice), await tokenOf(bob)]
    const serviceToken = (await (
      await tokenRequest(service.client_id as string, service.client_secret as string, {
        grant_type: 'client_credentials',
      })
    ).json()) as { access_token: string }

    expect(await adminJson('listusers', '--search', `ALICE-${suffix}`)).toEqual({
      users: [
        {
          id: a.id,
          username: alice,
          email: `${alice}@example.com`,
          is_active: true,
          is_staff: false,
          is_superuser: false,
          groups: [team],
        },
      ],
    })
    expect((await adminJson('listgroups')).groups as unknown[]).toContainEqual({
      id: expect.any(Number),
      name: team,
      members: [alice],
    })
    expect((await adminJson('listapps')).applications as unknown[]).toContainEqual({
      client_id: app.client_id,
      name: `ownerless ${suffix}`,
      owner: null,
      client_type: 'confidential',
      grant_type: 'password',
      skip_authorization: false,
      registration: 'manual',
    })
    expect(await adminJson('listtokens', '--username', alice, '--client-id', app.client_id as string)).toEqual({
      tokens: [
        {
          grant: expect.any(String),
          username: alice,
          client_id: app.client_id,
          scope: 'read write groups',
          issued: expect.any(Number),
          expires: expect.any(Number),
        },
      ],
    })

    // Deactivated: the old access token is refused at once (its KV record is gone), the refresh token too.
    expect(await adminJson('deactivateuser', '--username', alice)).toEqual({ username: alice, is_active: false })
    expect((await api('/users/', bearer(aliceToken.access_token))).status).toBe(401)
    const refresh = await tokenRequest(app.client_id as string, app.client_secret as string, {
      grant_type: 'refresh_token',
      refresh_token: aliceToken.refresh_token,
    })
    expect(refresh.status).toBe(400)
    expect(await d1(`select count(*) as n from token_families where user_id = ${a.id} and revoked_at is null`)).toEqual(
      [[{ n: 0 }]],
    )
    expect(await adminJson('activateuser', '--username', alice)).toEqual({ username: alice, is_active: true })
    expect((await api('/users/', bearer(aliceToken.access_token))).status).toBe(401) // revoked stays revoked

    expect(await adminJson('setstaff', '--username', bob, '--superuser')).toEqual({
      username: bob,
      is_staff: true,
      is_superuser: true,
    })
    expect(await adminJson('setstaff', '--username', bob, '--superuser', '--off')).toEqual({
      username: bob,
      is_staff: true,
      is_superuser: false,
    })
    expect(await adminJson('revoketokens', '--username', bob)).toEqual({ revoked: 1 })
    expect((await api('/users/', bearer(bobToken.access_token))).status).toBe(401)
    expect(await adminJson('revoketokens', '--username', bob)).toEqual({ revoked: 0 })

    expect(await adminJson('removefromgroup', '--username', alice, '--group', team)).toEqual({
      username: alice,
      group: team,
      removed: true,
    })
    expect(await adminJson('deletegroup', '--group', team)).toEqual({ group: team, deleted: true })
    expect(await adminJson('deleteapp', '--client-id', service.client_id as string)).toEqual({
      client_id: service.client_id,
      deleted: true,
    })
    expect((await api('/users/', bearer(serviceToken.access_token))).status).toBe(401)
    expect(await adminJson('deleteuser', '--username', alice)).toEqual({ username: alice, deleted: true })
    expect(
      await d1(
        `select count(*) as n from users where id = ${a.id}`,
        `select count(*) as n from groups where name = '${team}'`,
      ),
    ).toEqual([[{ n: 0 }], [{ n: 0 }]])
  })

  it('--print-sql prints a change with its revocation from the store layer, and runs nothing', async () => {
    const username = `printed-del-${suffix}`
    const user = await adminJson('createuser', '--username', username, '--password', 'plum orbit candle')
    const run = await admin(['--print-sql', 'deleteuser', '--username', username])
    expect(run.code).toBe(0)
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^update "token_families" set "revoked_at" = \\d+ where .*"token_families"."user_id" = ${user.id}\\) returning "id", "access_hash";$`,
        ),
      ),
      `delete from "sessions" where "sessions"."user_id" = ${user.id};`,
      `delete from "users" where "users"."id" = ${user.id};`,
    ])
    expect(run.stderr).toMatch(/^note: this SQL revokes the grants in D1 only/)
    expect(await d1(`select count(*) as n from users where id = ${user.id}`)).toEqual([[{ n: 1 }]])
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

  it('listapps marks the clients that registered themselves (RFC 7591), in its table and its JSON', async () => {
    const registered = await api('/o/register/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: `self ${suffix}`, redirect_uris: ['http://127.0.0.1:8009/cb'] }),
    })
    expect(registered.status).toBe(201)
    const { client_id } = (await registered.json()) as { client_id: string }
    const manual = await adminJson(
      ...['createapp', '--name', `by hand ${suffix}`, '--client-type', 'confidential', '--grant-type', 'password'],
    )
    const { applications } = (await adminJson('listapps')) as { applications: Record<string, unknown>[] }
    expect(applications.filter((a) => [client_id, manual.client_id].includes(a.client_id))).toEqual([
      {
        client_id,
        name: `self ${suffix}`,
        owner: null,
        client_type: 'confidential',
        grant_type: 'authorization-code',
        skip_authorization: false,
        registration: 'dynamic',
      },
      {
        client_id: manual.client_id,
        name: `by hand ${suffix}`,
        owner: null,
        client_type: 'confidential',
        grant_type: 'password',
        skip_authorization: false,
        registration: 'manual',
      },
    ])
    const table = await admin(['listapps'])
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n').find((line) => line.startsWith(`client_id=${client_id} `))).toBe(
      `client_id=${client_id}  name=self ${suffix}  owner=null  client_type=confidential  ` +
        'grant_type=authorization-code  skip_authorization=false  registration=dynamic',
    )
  })

  it.each([
    [
      'the default: ISSUER empty, so the origin `npm start` serves',
      {},
      'http://127.0.0.1:8787/',
      'http://127.0.0.1:8787/',
    ],
    ['the same URI spelled otherwise', {}, 'HTTP://LOCALHOST:8787', 'http://localhost:8787/'],
    [
      'API_RESOURCE',
      { API_RESOURCE: 'https://api.example/v1' },
      'https://api.example:443/v1',
      'https://api.example/v1',
    ],
    ['the ISSUER origin + "/"', { ISSUER: 'https://as.example/tenant' }, 'https://as.example/', 'https://as.example/'],
  ])("createresource refuses the built-in API's URI: %s", async (_, vars, uri, named) => {
    expect(await admin(['--json', 'createresource', '--uri', uri], vars)).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: --uri: ${named} is the built-in users/groups API's URI, a resource already\n`,
    })
    expect(await d1(`select count(*) as n from resources`)).toEqual([[{ n: 0 }]])
  })

  it('createresource, listresources and deleteresource go through the store, a URI once', async () => {
    const uri = `https://mcp-${suffix}.example/mcp`
    const created = { uri, name: 'MCP', scopes: 'read', token_format: 'jwt', access_token_expire_seconds: 600 }
    const args = ['--uri', uri, '--name', 'MCP', '--scopes', 'read read', '--token-format', 'jwt']
    expect(await adminJson('createresource', ...args, '--access-token-expire-seconds', '600')).toEqual(created)
    expect(await admin(['--json', 'createresource', '--uri', uri])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: a resource "${uri}" already exists\n`,
    })
    expect(await adminJson('listresources')).toEqual({ resources: [created] })
    expect(await adminJson('deleteresource', '--uri', uri)).toEqual({ uri, deleted: true })
    expect(await admin(['--json', 'deleteresource', '--uri', uri])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: no resource "${uri}"\n`,
    })
  })

  it('createinitialaccesstoken stores only the digest of the token it shows once', async () => {
    const before = Math.floor(Date.now() / 1000)
    const answer = await adminJson('createinitialaccesstoken', '--label', `ci ${suffix}`, '--days', '2')
    expect(answer).toEqual({
      initial_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      label: `ci ${suffix}`,
      expires_at: expect.any(Number),
    })
    expect(answer.expires_at as number).toBeGreaterThanOrEqual(before + 2 * 86_400)
    expect(
      await d1(`select token_hash, label, expires_at from initial_access_tokens where label = 'ci ${suffix}'`),
    ).toEqual([
      [
        {
          token_hash: sha256Hex(answer.initial_access_token as string),
          label: `ci ${suffix}`,
          expires_at: answer.expires_at,
        },
      ],
    ])
  })

  it('reports a D1 failure (a UNIQUE constraint) as one line', async () => {
    // The CLI's own inserts refuse a taken name with `on conflict do nothing`; here D1 is made to fail directly.
    let error: unknown
    try {
      await local.batch([
        local.db.run(sql.raw(`insert into groups (name) values ('twice-${suffix}'), ('twice-${suffix}')`)),
      ])
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ name: 'D1Error', message: 'UNIQUE constraint failed: groups.name' })
  })
})
