/**
 * The admin commands. Each validates its input as the API and pages do (same modules), checks
 * what it depends on in D1 for a clear error, then writes with one statement.
 */
import { hashPassword } from '../../src/crypto/password'
import { randomToken, sha256Hex } from '../../src/crypto/token'
import { USERNAME_MAX_LENGTH, USERNAME_PATTERN } from '../../src/accounts/users'
import { isValidEmail } from '../../src/api/fields'
import { CLIENT_TYPES, type ClientType, GRANT_TYPES, type GrantType } from '../../src/oauth/store/applications'
import { redirectUriProblems } from '../../src/oauth/redirect-uris'
import { cleanupStatements } from '../../src/maintenance/cleanup'
import { bool, str, UsageError } from './sql'
import type { StatementResult } from './d1'

/** What a command does: SQL to run (checked first by `precheck`), and how to read its result. */
export type Plan = {
  /** Existence checks to run before writing: a query, and the error when it returns rows (or none). */
  prechecks?: Array<{ sql: string; failIf: 'rows' | 'empty'; message: string }>
  sql: string
  /** The answer, from the rows of the write's last statement (and every statement's result). */
  result: (rows: Record<string, unknown>[], statements: StatementResult[]) => Record<string, unknown>
}

type Options = Record<string, string | boolean | undefined>

const required = (opts: Options, name: string): string => {
  const value = opts[name]
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`)
  return value
}

const optional = (opts: Options, name: string): string => {
  const value = opts[name]
  return typeof value === 'string' ? value : ''
}

function checkUsername(username: string) {
  if (username.length > USERNAME_MAX_LENGTH || !USERNAME_PATTERN.test(username)) {
    throw new UsageError(`invalid username "${username}": letters, digits and @/./+/-/_ only, at most ${USERNAME_MAX_LENGTH} characters`)
  }
}

const userExists = (username: string) => `select 1 from users where username = ${str(username)}`

async function createUser(opts: Options, superuser: boolean): Promise<Plan> {
  const username = required(opts, 'username')
  checkUsername(username)
  const password = required(opts, 'password')
  const email = superuser ? required(opts, 'email') : optional(opts, 'email')
  if (email && !isValidEmail(email)) throw new UsageError(`invalid email "${email}"`)
  const staff = superuser || opts.staff === true
  return {
    prechecks: [{ sql: userExists(username), failIf: 'rows', message: `a user named "${username}" already exists` }],
    sql: `insert into users (username, password, email, first_name, last_name, is_staff, is_superuser)
  values (${str(username)}, ${str(await hashPassword(password))}, ${str(email)}, ${str(optional(opts, 'first-name'))}, ${str(optional(opts, 'last-name'))}, ${bool(staff)}, ${bool(superuser)})
  returning id, username;`,
    result: ([row]) => ({ id: row?.id, username: row?.username }),
  }
}

function createGroup(name: string | undefined): Plan {
  if (!name) throw new UsageError('creategroup needs a NAME')
  if (name.length > 150) throw new UsageError('group names have at most 150 characters')
  return {
    prechecks: [{ sql: `select 1 from groups where name = ${str(name)}`, failIf: 'rows', message: `a group named "${name}" already exists` }],
    sql: `insert into groups (name) values (${str(name)}) returning id, name;`,
    result: ([row]) => ({ id: row?.id, name: row?.name }),
  }
}

function addToGroup(opts: Options): Plan {
  const username = required(opts, 'username')
  const group = required(opts, 'group')
  return {
    prechecks: [
      { sql: userExists(username), failIf: 'empty', message: `no user named "${username}"` },
      { sql: `select 1 from groups where name = ${str(group)}`, failIf: 'empty', message: `no group named "${group}"` },
    ],
    sql: `insert into user_groups (user_id, group_id)
  select u.id, g.id from users u, groups g where u.username = ${str(username)} and g.name = ${str(group)}
  on conflict do nothing;`,
    result: () => ({ username, group }),
  }
}

function createApp(opts: Options): Plan {
  const name = required(opts, 'name')
  const clientType = required(opts, 'client-type') as ClientType
  if (!CLIENT_TYPES.includes(clientType)) throw new UsageError(`--client-type must be one of: ${CLIENT_TYPES.join(', ')}`)
  const grantType = required(opts, 'grant-type') as GrantType
  if (!GRANT_TYPES.includes(grantType)) throw new UsageError(`--grant-type must be one of: ${GRANT_TYPES.join(', ')}`)
  if (grantType === 'client-credentials' && clientType === 'public') throw new UsageError('client-credentials needs a confidential client')
  const redirectUris = optional(opts, 'redirect-uris').trim()
  const problems = redirectUriProblems(redirectUris)
  if (problems.length > 0) throw new UsageError(problems[0]!)
  if (grantType === 'authorization-code' && !redirectUris) throw new UsageError('authorization-code apps need --redirect-uris')
  const origins = optional(opts, 'allowed-origins').trim()
  const owner = optional(opts, 'owner')
  const clientId = randomToken(24)
  const secret = clientType === 'confidential' ? randomToken() : null
  return {
    prechecks: owner ? [{ sql: userExists(owner), failIf: 'empty', message: `no user named "${owner}"` }] : [],
    sql: `insert into applications (client_id, client_secret_hash, name, user_id, client_type, authorization_grant_type, redirect_uris, allowed_origins, skip_authorization)
  values (${str(clientId)}, ${secret ? str(sha256Hex(secret)) : 'null'}, ${str(name)}, ${owner ? `(select id from users where username = ${str(owner)})` : 'null'}, ${str(clientType)}, ${str(grantType)}, ${str(redirectUris)}, ${str(origins)}, ${bool(opts['skip-authorization'] === true)})
  returning client_id;`,
    // The secret exists only here: D1 keeps its digest.
    result: () => ({ client_id: clientId, client_secret: secret }),
  }
}

function cleanup(): Plan {
  const statements = cleanupStatements()
  return {
    sql: statements.map((s) => `${s.sql};`).join('\n'),
    result: (_, results) => ({ deleted: Object.fromEntries(statements.map((s, i) => [s.table, results[i]?.meta.changes ?? 0])) }),
  }
}

export const USAGE = `usage: npm run admin -- [--json] [--print-sql] [--remote | --persist-to DIR] <command>

  createsuperuser --username U --email E --password P
  createuser      --username U --password P [--email E] [--first-name F] [--last-name L] [--staff]
  creategroup     NAME
  addtogroup      --username U --group G
  createapp       --name N --client-type confidential|public
                  --grant-type password|authorization-code|client-credentials
                  [--redirect-uris "U1 U2"] [--allowed-origins "O1 O2"] [--owner USERNAME] [--skip-authorization]
  cleanup         delete expired codes, grants, sessions and rate-limit windows`

export async function plan(command: string | undefined, positional: string[], opts: Options): Promise<Plan> {
  switch (command) {
    case 'createsuperuser':
      return createUser(opts, true)
    case 'createuser':
      return createUser(opts, false)
    case 'creategroup':
      return createGroup(positional[0])
    case 'addtogroup':
      return addToGroup(opts)
    case 'createapp':
      return createApp(opts)
    case 'cleanup':
      return cleanup()
    default:
      throw new UsageError(command ? `unknown command "${command}"\n${USAGE}` : USAGE)
  }
}
