/**
 * `npm run preflight`: checks a configuration before `wrangler deploy`. One line per finding:
 * `error:` (exit 1), `warning:` (not a failure), `not checked:` (wrangler could not be asked: no
 * account, offline, or `--offline`; not a failure). Never prints a secret's value: wrangler's
 * secret list holds names only. Usage: USAGE below.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { parse } from 'smol-toml'
import { REGISTRATION_POLICIES } from '../src/config'

const USAGE = `usage: npm run preflight [-- options]

Checks a configuration before \`wrangler deploy\`: binding ids, ISSUER, the password grant, the
client registration policy, and (asking wrangler, which needs an account) the OIDC_PRIVATE_KEYS
secret and remote D1 migrations.

options:
  --config <path>   the wrangler configuration (default: wrangler.toml)
  --env <name>      a wrangler environment: its [env.<name>] section, as \`wrangler deploy --env\` reads it
  --offline         do not ask wrangler (the account checks print "not checked")
  -h, --help        this text`

// PREFLIGHT_WRANGLER: a stand-in for wrangler, for the tests of the account checks.
const WRANGLER = process.env.PREFLIGHT_WRANGLER || join(import.meta.dirname, 'wrangler.sh')

type Finding = { level: 'error' | 'warning' | 'not checked'; message: string }

type Binding = { binding?: string; database_id?: string; id?: string }

/** The keys preflight reads; wrangler does not inherit any of them into an [env.x] section. */
type Deployable = { vars: Record<string, unknown>; d1_databases: Binding[]; kv_namespaces: Binding[] }

class UsageError extends Error {}

/** All zeros (the ids this repository ships) or empty: never a real D1 or KV id. */
const isPlaceholder = (id: string | undefined) => !id || /^[0-]+$/.test(id)

/**
 * The section `wrangler deploy [--env name]` deploys. vars and bindings are "non-inheritable" in
 * wrangler: an environment that does not declare them has none, it does not fall back to the top level.
 */
function deployable(toml: Record<string, unknown>, envName: string | undefined, file: string): Deployable {
  const env =
    envName === undefined ? toml : (toml.env as Record<string, Record<string, unknown>> | undefined)?.[envName]
  if (!env) throw new UsageError(`no [env.${envName}] section in ${file}`)
  return {
    vars: (env.vars as Record<string, unknown>) ?? {},
    d1_databases: (env.d1_databases as Binding[]) ?? [],
    kv_namespaces: (env.kv_namespaces as Binding[]) ?? [],
  }
}

/** The checks that need only the file. */
export function checkConfig(config: Deployable, envName?: string): Finding[] {
  const findings: Finding[] = []
  const error = (message: string) => findings.push({ level: 'error', message })
  const table = (key: string) => `[[${envName === undefined ? '' : `env.${envName}.`}${key}]]`

  const db = config.d1_databases.find((d) => d.binding === 'DB')
  if (!db) error(`no ${table('d1_databases')} with binding = "DB"`)
  else if (isPlaceholder(db.database_id))
    error(
      `${table('d1_databases')} DB: database_id "${db.database_id ?? ''}" is a placeholder: put the id \`wrangler d1 create\` printed`,
    )
  const kv = config.kv_namespaces.find((k) => k.binding === 'TOKENS')
  if (!kv) error(`no ${table('kv_namespaces')} with binding = "TOKENS"`)
  else if (isPlaceholder(kv.id))
    error(
      `${table('kv_namespaces')} TOKENS: id "${kv.id ?? ''}" is a placeholder: put the id \`wrangler kv namespace create\` printed`,
    )

  // src/config.ts reads ISSUER; empty means "the origin the request came to", which follows the Host header.
  const issuer = String(config.vars.ISSUER ?? '')
  if (issuer === '') {
    error("ISSUER is empty: the issuer would follow each request's Host header; set it to the https origin clients use")
  } else {
    if (protocolOf(issuer) !== 'https:')
      error(`ISSUER "${issuer}" is not an https URL (OpenID Connect Discovery 1.0 §3)`)
    else if (/[?#]/.test(issuer)) error(`ISSUER "${issuer}" has a query or fragment (RFC 8414 §2)`)
  }
  // A private key in [vars] is committed with the code; the value itself is never printed.
  if ('OIDC_PRIVATE_KEYS' in config.vars)
    error('OIDC_PRIVATE_KEYS is in [vars]: a private key belongs in a secret (`wrangler secret put`), not in the file')

  if (String(config.vars.PASSWORD_GRANT_ENABLED ?? 'true').toLowerCase() !== 'false')
    findings.push({
      level: 'warning',
      message:
        'the password grant is on (RFC 9700 §2.4: it MUST NOT be used): set PASSWORD_GRANT_ENABLED = "false" unless a client needs it',
    })

  // src/config.ts reads CLIENT_REGISTRATION: empty is "initial-access-token" on a deployed (non-loopback) issuer.
  const registration = String(config.vars.CLIENT_REGISTRATION ?? '')
  if (registration === 'open')
    findings.push({
      level: 'warning',
      message:
        'CLIENT_REGISTRATION is "open": anyone may register a client and send your users to its consent page; ' +
        'prefer "initial-access-token" unless you serve clients you do not know in advance (docs/client-registration.md)',
    })
  else if (registration !== '' && !REGISTRATION_POLICIES.includes(registration))
    findings.push({
      level: 'warning',
      message: `CLIENT_REGISTRATION "${registration}" is not one of ${REGISTRATION_POLICIES.join(', ')}: registration is off`,
    })
  return findings
}

function protocolOf(url: string): string | null {
  try {
    return new URL(url).protocol
  } catch {
    return null
  }
}

type Run = { ok: boolean; stdout: string }

/** Runs the project's wrangler without a terminal (so it never prompts or opens a login page). */
function wrangler(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn('sh', [WRANGLER, ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.on('error', () => done({ ok: false, stdout }))
    child.on('close', (code) => done({ ok: code === 0, stdout }))
  })
}

/** The checks that ask Cloudflare through wrangler: the signing-key secret and the remote migrations. */
async function checkAccount(configPath: string, envName: string | undefined, config: Deployable): Promise<Finding[]> {
  const scope = ['--config', configPath, ...(envName === undefined ? [] : ['--env', envName])]
  const inEnv = envName === undefined ? '' : ` --env ${envName}`
  const dbIsReal = !isPlaceholder(config.d1_databases.find((d) => d.binding === 'DB')?.database_id)
  const [secrets, migrations] = await Promise.all([
    wrangler(['secret', 'list', '--format', 'json', ...scope]),
    dbIsReal ? wrangler(['d1', 'migrations', 'list', 'DB', '--remote', ...scope]) : null,
  ])
  const findings: Finding[] = []

  const names = secrets.ok ? secretNames(secrets.stdout) : null
  if (names === null)
    findings.push({
      level: 'not checked',
      message:
        'the OIDC_PRIVATE_KEYS secret (`wrangler secret list` failed: no account, offline, or no Worker deployed yet)',
    })
  else if (!names.includes('OIDC_PRIVATE_KEYS'))
    findings.push({
      level: 'error',
      message: `no OIDC_PRIVATE_KEYS secret: npm run -s oidc:keygen | npx wrangler secret put OIDC_PRIVATE_KEYS${inEnv}`,
    })

  if (migrations === null) {
    findings.push({ level: 'not checked', message: 'remote D1 migrations (the database_id is a placeholder)' })
  } else if (!migrations.ok || !/No migrations to apply|Migrations to be applied/.test(migrations.stdout)) {
    findings.push({
      level: 'not checked',
      message: 'remote D1 migrations (`wrangler d1 migrations list DB --remote` failed: no account or offline)',
    })
  } else {
    const pending = migrations.stdout.match(/\b\d+_[\w-]+\.sql\b/g)
    if (pending)
      findings.push({
        level: 'error',
        message: `remote D1 migrations not applied: ${pending.join(', ')}: npx wrangler d1 migrations apply DB --remote${inEnv}`,
      })
  }
  return findings
}

/** The names in `wrangler secret list --format json` (an array of {name, type}), or null if it is not that. */
function secretNames(stdout: string): string[] | null {
  try {
    const list = JSON.parse(stdout.slice(stdout.indexOf('[')))
    return Array.isArray(list) ? list.map((s: { name?: unknown }) => String(s.name)) : null
  } catch {
    return null
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'wrangler.toml' },
      env: { type: 'string' },
      offline: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const configPath = resolve(values.config)
  let toml: Record<string, unknown>
  try {
    toml = parse(readFileSync(configPath, 'utf8'))
  } catch (err) {
    throw new UsageError(`cannot read ${values.config}: ${(err as Error).message.split('\n')[0]}`)
  }
  const config = deployable(toml, values.env, values.config)
  const findings = [
    ...checkConfig(config, values.env),
    ...(values.offline
      ? [
          { level: 'not checked', message: 'the OIDC_PRIVATE_KEYS secret (--offline)' } as const,
          { level: 'not checked', message: 'remote D1 migrations (--offline)' } as const,
        ]
      : await checkAccount(configPath, values.env, config)),
  ]
  for (const f of findings) console.log(`${f.level}: ${f.message}`)
  const errors = findings.filter((f) => f.level === 'error').length
  console.log(
    errors
      ? `preflight: ${errors} problem${errors === 1 ? '' : 's'} in ${values.config}`
      : `preflight: no problems in ${values.config}`,
  )
  return errors ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const usage = err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
    console.error(`preflight: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    if (usage && !(err instanceof UsageError)) console.error(`\n${USAGE}`)
    process.exitCode = usage ? 2 : 1
  },
)
