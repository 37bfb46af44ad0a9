// `npm run preflight` as an operator runs it (a child process) on configurations written to a
// temporary folder: exact lines and exit code for each. Wrangler is asked for real once, with no
// account (an empty home, no CLOUDFLARE_* variables), which is the "could not check" path.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

type Run = { code: number; stdout: string; stderr: string }

const dir = mkdtempSync(join(tmpdir(), 'eot-preflight-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const D1_ID = '2f0c1a52-8d3e-4b7a-9c61-0e5d4f3a2b19'
const KV_ID = '8c4e2a1f0b9d47e6a3c5f1e2d0b8a796'
const SECRET_VALUE = '[{"kty":"RSA","d":"never-printed"}]'

/** A wrangler.toml shaped like the repository's, with the given ids and vars. */
function toml(opts: { d1?: string; kv?: string; vars: Record<string, string>; extra?: string }): string {
  const vars = Object.entries(opts.vars).map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
  return [
    'name = "edge-oauth-toolkit"',
    'main = "src/index.ts"',
    'compatibility_date = "2026-04-20"',
    '[[d1_databases]]',
    'binding = "DB"',
    'database_name = "edge-oauth-toolkit"',
    `database_id = "${opts.d1 ?? D1_ID}"`,
    'migrations_dir = "migrations"',
    '[[kv_namespaces]]',
    'binding = "TOKENS"',
    `id = "${opts.kv ?? KV_ID}"`,
    '[vars]',
    ...vars,
    opts.extra ?? '',
  ].join('\n')
}

let n = 0
function writeConfig(text: string): string {
  const path = join(dir, `wrangler-${++n}.toml`)
  writeFileSync(path, text)
  return path
}

/** Runs the script without a Cloudflare account: an empty home and no CLOUDFLARE_* variables. */
async function preflight(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const home = { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') }
  const env: Record<string, string | undefined> = { ...process.env, ...home, ...extraEnv }
  for (const name of Object.keys(env)) if (name.startsWith('CLOUDFLARE_')) delete env[name]
  try {
    const { stdout, stderr } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/preflight.ts', ...args], {
      env: env as NodeJS.ProcessEnv,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Run
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const lines = (...l: string[]) => `${l.join('\n')}\n`
const GOOD = { ISSUER: 'https://auth.example.com', PASSWORD_GRANT_ENABLED: 'false' }
const OFFLINE = [
  'not checked: the OIDC_PRIVATE_KEYS secret (--offline)',
  'not checked: remote D1 migrations (--offline)',
]
const PASSWORD_WARNING =
  'warning: the password grant is on (RFC 9700 §2.4: it MUST NOT be used): set PASSWORD_GRANT_ENABLED = "false" unless a client needs it'

describe('npm run preflight', () => {
  it('refuses the placeholder ids and the empty ISSUER, one line each, and warns of the password grant', async () => {
    const config = writeConfig(
      toml({
        d1: '00000000-0000-0000-0000-000000000000',
        kv: '00000000000000000000000000000000',
        vars: { ISSUER: '' },
      }),
    )
    expect(await preflight(['--config', config, '--offline'])).toEqual({
      code: 1,
      stdout: lines(
        'error: [[d1_databases]] DB: database_id "00000000-0000-0000-0000-000000000000" is a placeholder: put the id `wrangler d1 create` printed',
        'error: [[kv_namespaces]] TOKENS: id "00000000000000000000000000000000" is a placeholder: put the id `wrangler kv namespace create` printed',
        "error: ISSUER is empty: the issuer would follow each request's Host header; set it to the https origin clients use",
        PASSWORD_WARNING,
        ...OFFLINE,
        `preflight: 3 problems in ${config}`,
      ),
      stderr: '',
    })
  })

  it("fails on the repository's own wrangler.toml (placeholders, empty ISSUER)", async () => {
    const run = await preflight(['--offline'])
    expect(run.code).toBe(1)
    expect(run.stdout.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
      expect.stringContaining(
        '[[d1_databases]] DB: database_id "00000000-0000-0000-0000-000000000000" is a placeholder',
      ),
      expect.stringContaining('[[kv_namespaces]] TOKENS: id "00000000000000000000000000000000" is a placeholder'),
      expect.stringContaining('ISSUER is empty'),
    ])
    expect(run.stdout).toMatch(/\npreflight: 3 problems in wrangler\.toml\n$/)
  })

  it('passes a good config, saying what it could not ask wrangler without an account', async () => {
    const config = writeConfig(toml({ vars: GOOD }))
    expect(await preflight(['--config', config])).toEqual({
      code: 0,
      stdout: lines(
        'not checked: the OIDC_PRIVATE_KEYS secret (`wrangler secret list` failed: no account, offline, or no Worker deployed yet)',
        'not checked: remote D1 migrations (`wrangler d1 migrations list DB --remote` failed: no account or offline)',
        `preflight: no problems in ${config}`,
      ),
      stderr: '',
    })
  })

  it('warns when the password grant is left on, and still passes', async () => {
    const config = writeConfig(toml({ vars: { ISSUER: 'https://auth.example.com' } }))
    expect(await preflight(['--config', config, '--offline'])).toEqual({
      code: 0,
      stdout: lines(PASSWORD_WARNING, ...OFFLINE, `preflight: no problems in ${config}`),
      stderr: '',
    })
  })

  it('warns when client registration is open to anyone, or set to no known policy (then off), and still passes', async () => {
    const open = writeConfig(toml({ vars: { ...GOOD, CLIENT_REGISTRATION: 'open' } }))
    expect(await preflight(['--config', open, '--offline'])).toEqual({
      code: 0,
      stdout: lines(
        'warning: CLIENT_REGISTRATION is "open": anyone may register a client and send your users to its consent page; ' +
          'prefer "initial-access-token" unless you serve clients you do not know in advance (docs/client-registration.md)',
        ...OFFLINE,
        `preflight: no problems in ${open}`,
      ),
      stderr: '',
    })
    const typo = writeConfig(toml({ vars: { ...GOOD, CLIENT_REGISTRATION: 'Open' } }))
    expect(await preflight(['--config', typo, '--offline'])).toEqual({
      code: 0,
      stdout: lines(
        'warning: CLIENT_REGISTRATION "Open" is not one of open, initial-access-token, off: registration is off',
        ...OFFLINE,
        `preflight: no problems in ${typo}`,
      ),
      stderr: '',
    })
    // The two policies that are not open pass quietly (as the default does: empty, no warning above).
    for (const policy of ['initial-access-token', 'off']) {
      const quiet = writeConfig(toml({ vars: { ...GOOD, CLIENT_REGISTRATION: policy } }))
      expect(await preflight(['--config', quiet, '--offline'])).toEqual({
        code: 0,
        stdout: lines(...OFFLINE, `preflight: no problems in ${quiet}`),
        stderr: '',
      })
    }
  })

  it.each([
    [
      'http://auth.example.com',
      'error: ISSUER "http://auth.example.com" is not an https URL (OpenID Connect Discovery 1.0 §3)',
    ],
    ['auth.example.com', 'error: ISSUER "auth.example.com" is not an https URL (OpenID Connect Discovery 1.0 §3)'],
    [
      'https://auth.example.com/?tenant=1',
      'error: ISSUER "https://auth.example.com/?tenant=1" has a query or fragment (RFC 8414 §2)',
    ],
    ['https://auth.example.com#', 'error: ISSUER "https://auth.example.com#" has a query or fragment (RFC 8414 §2)'],
  ])('refuses ISSUER %s', async (issuer, line) => {
    const config = writeConfig(toml({ vars: { ...GOOD, ISSUER: issuer } }))
    expect(await preflight(['--config', config, '--offline'])).toEqual({
      code: 1,
      stdout: lines(line, ...OFFLINE, `preflight: 1 problem in ${config}`),
      stderr: '',
    })
  })

  it('refuses a private key in [vars] without printing it', async () => {
    const config = writeConfig(toml({ vars: { ...GOOD, OIDC_PRIVATE_KEYS: SECRET_VALUE } }))
    const run = await preflight(['--config', config, '--offline'])
    expect(run).toEqual({
      code: 1,
      stdout: lines(
        'error: OIDC_PRIVATE_KEYS is in [vars]: a private key belongs in a secret (`wrangler secret put`), not in the file',
        ...OFFLINE,
        `preflight: 1 problem in ${config}`,
      ),
      stderr: '',
    })
    expect(run.stdout).not.toContain('never-printed')
  })

  it('--env reads [env.<name>], whose vars and bindings replace the top level (wrangler does not inherit them)', async () => {
    const production = [
      '[env.production]',
      '[[env.production.kv_namespaces]]',
      'binding = "TOKENS"',
      `id = "${KV_ID}"`,
      '[env.production.vars]',
      'ISSUER = "https://auth.example.com"',
      'PASSWORD_GRANT_ENABLED = "false"',
    ].join('\n')
    const config = writeConfig(
      toml({ d1: '00000000-0000-0000-0000-000000000000', vars: { ISSUER: '' }, extra: production }),
    )
    expect(await preflight(['--config', config, '--env', 'production', '--offline'])).toEqual({
      code: 1,
      stdout: lines(
        'error: no [[env.production.d1_databases]] with binding = "DB"',
        ...OFFLINE,
        `preflight: 1 problem in ${config}`,
      ),
      stderr: '',
    })
    expect(await preflight(['--config', config, '--env', 'staging', '--offline'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `preflight: no [env.staging] section in ${config}\n`,
    })
  })

  describe('asking the account (wrangler replaced by a script that answers as wrangler 4.86 does)', () => {
    const fake = join(dir, 'fake-wrangler.sh')
    const calls = join(dir, 'fake-wrangler.calls')
    writeFileSync(
      fake,
      [
        'echo "$*" >> "$FAKE_CALLS"',
        'case "$1 $2" in',
        '  "secret list") printf "%s\\n" "$FAKE_SECRETS" ;;',
        '  "d1 migrations") printf "%s\\n" "$FAKE_MIGRATIONS" ;;',
        'esac',
      ].join('\n'),
    )
    // Only [env.production] is deployable: the top level has no vars.
    const production = toml({
      vars: {},
      extra: [
        '[env.production]',
        '[[env.production.d1_databases]]',
        'binding = "DB"',
        `database_id = "${D1_ID}"`,
        '[[env.production.kv_namespaces]]',
        'binding = "TOKENS"',
        `id = "${KV_ID}"`,
        '[env.production.vars]',
        `ISSUER = "${GOOD.ISSUER}"`,
        'PASSWORD_GRANT_ENABLED = "false"',
      ].join('\n'),
    })

    it('refuses a missing OIDC_PRIVATE_KEYS secret and unapplied remote migrations, asking for the named env', async () => {
      const config = writeConfig(production)
      const run = await preflight(['--config', config, '--env', 'production'], {
        PREFLIGHT_WRANGLER: fake,
        FAKE_CALLS: calls,
        FAKE_SECRETS: '[{"name":"OTHER_SECRET","type":"secret_text"}]',
        FAKE_MIGRATIONS: [
          'Resource location: remote',
          'Migrations to be applied:',
          '┌───────────────────┐',
          '│ Name              │',
          '├───────────────────┤',
          '│ 0001_consent.sql  │',
          '├───────────────────┤',
          '│ 0002_devices.sql  │',
          '└───────────────────┘',
        ].join('\n'),
      })
      expect(run).toEqual({
        code: 1,
        stdout: lines(
          'error: no OIDC_PRIVATE_KEYS secret: npm run -s oidc:keygen | npx wrangler secret put OIDC_PRIVATE_KEYS --env production',
          'error: remote D1 migrations not applied: 0001_consent.sql, 0002_devices.sql: npx wrangler d1 migrations apply DB --remote --env production',
          `preflight: 2 problems in ${config}`,
        ),
        stderr: '',
      })
      expect(readFileSync(calls, 'utf8').split('\n').sort()).toEqual([
        '',
        `d1 migrations list DB --remote --config ${config} --env production`,
        `secret list --format json --config ${config} --env production`,
      ])
    })

    it('passes when the secret is there and no migration is pending', async () => {
      const config = writeConfig(toml({ vars: GOOD }))
      expect(
        await preflight(['--config', config], {
          PREFLIGHT_WRANGLER: fake,
          FAKE_CALLS: calls,
          FAKE_SECRETS: '[{"name":"OIDC_PRIVATE_KEYS","type":"secret_text"}]',
          FAKE_MIGRATIONS: 'Resource location: remote\n✅ No migrations to apply!',
        }),
      ).toEqual({ code: 0, stdout: lines(`preflight: no problems in ${config}`), stderr: '' })
    })
  })

  it('prints its usage on --help (exit 0) and on an unknown flag (stderr, exit 2)', async () => {
    const help = await preflight(['--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toMatch(/^usage: npm run preflight/)
    const bad = await preflight(['--bogus'])
    expect(bad).toMatchObject({ code: 2, stdout: '' })
    expect(bad.stderr).toBe(`preflight: Unknown option '--bogus'\n\n${help.stdout}`)
  })
})
