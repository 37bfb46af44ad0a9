/**
 * @module The admin commands. Each validates its input with the modules the API and the pages use
 * (username and email rules, the application form), then plans one guarded write (plan.ts).
 */
import { hashPassword } from '../../src/crypto/password'
import { randomToken, sha256Hex } from '../../src/crypto/token'
import { normalizeUsername, usernameProblem } from '../../src/accounts/users'
import { type PasswordOwner, passwordProblems } from '../../src/accounts/passwords'
import { isValidEmail } from '../../src/api/fields'
import { type FieldErrors, readApplicationForm } from '../../src/oauth/application-form'
import { CLIENT_TYPES, GRANT_TYPES } from '../../src/store/applications'
import { CLEANUP_BATCH, cleanupStatements } from '../../src/store/cleanup'
import { type Guard, holds, insertedRow, type Plan } from './plan'
import { ACTIONS } from './manage'
import { bool, str, UsageError } from './sql'
import { RESOURCE_COMMANDS } from './resources'
import { REGISTRATION_COMMANDS } from './registration'

type Options = Record<string, string | boolean | undefined>

const required = (opts: Options, name: string): string => {
  const value = opts[name]
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`)
  return value
}

/**
 * A required username option, NFKC-normalised as the API, sign-in and the password grant take it
 * (`ａｄｍｉｎ` names the user `admin`): before every check and in the SQL. `--owner` is too.
 */
const usernameOption = (opts: Options, name: string): string => normalizeUsername(required(opts, name))

const optional = (opts: Options, name: string): string => {
  const value = opts[name]
  return typeof value === 'string' ? value : ''
}

/** Django's auth.Group.name max_length. */
const GROUP_NAME_MAX_LENGTH = 150

const userByName = (username: string) => `select 1 from users where username = ${str(username)}`
const groupByName = (name: string) => `select 1 from groups where name = ${str(name)}`
const userExists = (username: string): Guard => ({
  select: userByName(username),
  expect: true,
  message: `no user named "${username}"`,
})

async function createUser(opts: Options, superuser: boolean): Promise<Plan> {
  const username = usernameOption(opts, 'username')
  const invalid = usernameProblem(username)
  if (invalid) throw new UsageError(`invalid username "${username}": ${invalid}`)
  const email = superuser ? required(opts, 'email') : optional(opts, 'email')
  if (email && !isValidEmail(email)) throw new UsageError(`invalid email "${email}"`)
  const owner = { username, email, firstName: optional(opts, 'first-name'), lastName: optional(opts, 'last-name') }
  const password = await hashPassword(newPassword(owner, required(opts, 'password')))
  const staff = superuser || opts.staff === true
  const taken = `a user named "${username}" already exists`
  const guards: Guard[] = [{ select: userByName(username), expect: false, message: taken }]
  return {
    guards,
    taken,
    sql: [
      `insert into users (username, password, email, first_name, last_name, is_staff, is_superuser)
  select ${str(username)}, ${str(password)}, ${str(email)}, ${str(optional(opts, 'first-name'))}, ${str(optional(opts, 'last-name'))}, ${bool(staff)}, ${bool(superuser)}
  where ${holds(guards)}
  returning id, username;`,
    ],
    result: (statements) => {
      const row = insertedRow(statements)
      return { id: row.id, username: row.username }
    },
  }
}

/** `password`, if Django's validators accept it for `owner`; else a UsageError naming every problem. */
function newPassword(owner: PasswordOwner, password: string): string {
  const problems = passwordProblems(owner, password)
  if (problems.length) throw new UsageError(`--password: ${problems.join(' ')}`)
  return password
}

/** A new password, as the password change page sets it: every session of the user ends with it. */
async function changePassword(opts: Options): Promise<Plan> {
  const username = usernameOption(opts, 'username')
  // The user's other attributes are in D1, which this plan does not read: the username is compared.
  const password = newPassword({ username }, required(opts, 'password'))
  const guards = [userExists(username)]
  const user = `select id from users where username = ${str(username)}`
  return {
    guards,
    sql: [
      `update users set password = ${str(await hashPassword(password))} where username = ${str(username)};`,
      `delete from sessions where user_id in (${user});`,
      'select changes() as ended;',
    ],
    result: (statements) => ({
      username,
      sessions_ended: Number(statements[statements.length - 1]?.results[0]?.ended ?? 0),
    }),
  }
}

function createGroup(name: string): Plan {
  if (!name.trim()) throw new UsageError('creategroup needs a NAME')
  if (name.length > GROUP_NAME_MAX_LENGTH)
    throw new UsageError(`group names have at most ${GROUP_NAME_MAX_LENGTH} characters`)
  const taken = `a group named "${name}" already exists`
  const guards: Guard[] = [{ select: groupByName(name), expect: false, message: taken }]
  return {
    guards,
    taken,
    sql: [`insert into groups (name) select ${str(name)} where ${holds(guards)} returning id, name;`],
    result: (statements) => {
      const row = insertedRow(statements)
      return { id: row.id, name: row.name }
    },
  }
}

function addToGroup(opts: Options): Plan {
  const username = usernameOption(opts, 'username')
  const group = required(opts, 'group')
  return {
    guards: [userExists(username), { select: groupByName(group), expect: true, message: `no group named "${group}"` }],
    // Already a member: nothing to do, and not an error (the command's end state holds).
    sql: [
      `insert into user_groups (user_id, group_id)
  select u.id, g.id from users u, groups g where u.username = ${str(username)} and g.name = ${str(group)}
  on conflict do nothing;`,
    ],
    result: () => ({ username, group }),
  }
}

/** The CLI flag for each application form field, to name it in an error. */
const APP_FLAGS: Record<keyof FieldErrors, string> = {
  name: 'name',
  clientType: 'client-type',
  authorizationGrantType: 'grant-type',
  redirectUris: 'redirect-uris',
  allowedOrigins: 'allowed-origins',
}

function createApp(opts: Options): Plan {
  // The same checks as the registration page (RFC 9700 §2.1 redirect URIs, origins, type pairs).
  const { fields, errors } = readApplicationForm(
    new URLSearchParams({
      name: optional(opts, 'name'),
      client_type: optional(opts, 'client-type'),
      authorization_grant_type: optional(opts, 'grant-type'),
      redirect_uris: optional(opts, 'redirect-uris'),
      allowed_origins: optional(opts, 'allowed-origins'),
    }),
  )
  // Not a form field: only an administrator may let an application skip consent (RFC 6749 §10.2).
  const skipAuthorization = opts['skip-authorization'] === true
  const [field, messages] = (Object.entries(errors) as [keyof FieldErrors, string[]][])[0] ?? []
  if (field && messages) {
    const choices = { clientType: CLIENT_TYPES, authorizationGrantType: GRANT_TYPES }[field as string] as
      | readonly string[]
      | undefined
    const hint = choices && !choices.includes(String(fields[field])) ? ` One of: ${choices.join(', ')}.` : ''
    throw new UsageError(`--${APP_FLAGS[field]}: ${messages[0]}${hint}`)
  }
  const owner = normalizeUsername(optional(opts, 'owner'))
  const guards = owner ? [userExists(owner)] : []
  const clientId = randomToken(24)
  const secret = fields.clientType === 'confidential' ? randomToken() : null
  return {
    guards,
    printNote: `client_id: ${clientId}\n${secret ? `client_secret: ${secret} (shown this once: the SQL holds only its SHA-256)` : 'client_secret: none (public client)'}`,
    sql: [
      `insert into applications (client_id, client_secret_hash, name, user_id, client_type, authorization_grant_type, redirect_uris, allowed_origins, skip_authorization)
  select ${str(clientId)}, ${secret ? str(sha256Hex(secret)) : 'null'}, ${str(fields.name)}, ${owner ? `(select id from users where username = ${str(owner)})` : 'null'}, ${str(fields.clientType)}, ${str(fields.authorizationGrantType)}, ${str(fields.redirectUris)}, ${str(fields.allowedOrigins)}, ${bool(skipAuthorization)}${
    owner
      ? `
  where ${holds(guards)}`
      : ''
  }
  returning client_id;`,
    ],
    // The secret exists only here and in the operator's terminal: D1 keeps its SHA-256.
    result: (statements) => {
      insertedRow(statements)
      return { client_id: clientId, client_secret: secret }
    },
  }
}

function cleanup(): Plan {
  const statements = cleanupStatements()
  const deleted: Record<string, number> = Object.fromEntries(statements.map((s) => [s.table, 0]))
  let backlog = false
  return {
    guards: [],
    // `changes()` after each delete: local wrangler reports no row counts in its JSON.
    sql: statements.flatMap((s) => [`${s.sql};`, 'select changes() as deleted;']),
    result: (results) => {
      const counts = statements.map((_, i) => Number(results[2 * i + 1]?.results[0]?.deleted ?? 0))
      statements.forEach((s, i) => {
        deleted[s.table]! += counts[i]!
      })
      backlog = counts.some((n) => n >= CLEANUP_BATCH)
      return { deleted }
    },
    // Each statement deletes at most CLEANUP_BATCH rows: run again until none was full.
    again: () => backlog,
  }
}

type Command = { options: string[]; args?: string; plan: (opts: Options, positional: string[]) => Plan | Promise<Plan> }

const COMMANDS: Record<string, Command> = {
  createsuperuser: {
    options: ['username', 'email', 'password', 'password-stdin', 'first-name', 'last-name'],
    plan: (o) => createUser(o, true),
  },
  createuser: {
    options: ['username', 'email', 'password', 'password-stdin', 'first-name', 'last-name', 'staff'],
    plan: (o) => createUser(o, false),
  },
  creategroup: { options: [], args: 'NAME', plan: (_, [name]) => createGroup(name!) },
  addtogroup: { options: ['username', 'group'], plan: addToGroup },
  changepassword: { options: ['username', 'password', 'password-stdin'], plan: changePassword },
  createapp: {
    options: ['name', 'client-type', 'grant-type', 'redirect-uris', 'allowed-origins', 'owner', 'skip-authorization'],
    plan: createApp,
  },
  cleanup: { options: [], plan: cleanup },
  ...RESOURCE_COMMANDS,
  ...REGISTRATION_COMMANDS,
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = ['json', 'print-sql', 'remote', 'persist-to', 'help']

/** Every command's name, for the unknown-command message. */
export const COMMAND_NAMES = [...Object.keys(COMMANDS), ...Object.keys(ACTIONS)]

export const USAGE = `usage: npm run admin -- [--json] [--print-sql] [--remote | --persist-to DIR] <command>

  PW is --password P, --password-stdin (one line) or, on a terminal, nothing (a hidden prompt)
  createsuperuser --username U --email E PW [--first-name F] [--last-name L]
  createuser      --username U PW [--email E] [--first-name F] [--last-name L] [--staff]
  creategroup     NAME
  addtogroup      --username U --group G
  changepassword  --username U PW   (signs the user out everywhere)
  createapp       --name N --client-type confidential|public
                  --grant-type password|authorization-code|client-credentials
                  [--redirect-uris "U1 U2"] [--allowed-origins "O1 O2"] [--owner USERNAME] [--skip-authorization]
  cleanup         delete expired codes, grants, sessions and rate-limit windows
  listusers       [--search TEXT]   listgroups   listapps   listtokens [--username U] [--client-id ID]
  deactivateuser  --username U   (revokes their grants, ends their sessions)   activateuser --username U
  deleteuser      --username U   deleteapp --client-id ID   deletegroup --group G
  removefromgroup --username U --group G
  revoketokens    --username U [--client-id ID]
  setstaff        --username U [--superuser] [--off]
  createresource  --uri URI [--name N] [--scopes "a b"] [--token-format opaque|jwt]   listresources   deleteresource --uri URI
  createinitialaccesstoken [--label TEXT] [--days N]   a token for /o/register/ (RFC 7591 §3)`

/** Commands that set a password: it may come from `--password-stdin` or a prompt (password-input.ts). */
export const SETS_PASSWORD = ['createsuperuser', 'createuser', 'changepassword']

/** Refuses an option `command` does not take, or the wrong number of arguments. */
export function checkUsage(
  command: string,
  spec: { options: string[]; args?: string },
  positional: string[],
  opts: Options,
): void {
  const stray = Object.keys(opts).find(
    (o) => opts[o] !== undefined && !GLOBAL_OPTIONS.includes(o) && !spec.options.includes(o),
  )
  if (stray) throw new UsageError(`${command} does not take --${stray}`)
  const wanted = spec.args ? 1 : 0
  if (positional.length !== wanted) {
    throw new UsageError(
      wanted ? `${command} takes one argument, ${spec.args}` : `${command} takes no argument ("${positional[0]}")`,
    )
  }
}

/** The plan for `command`, after checking that it exists and takes the options and arguments given. */
export async function plan(command: string | undefined, positional: string[], opts: Options): Promise<Plan> {
  const spec = command ? COMMANDS[command] : undefined
  if (!spec || !command)
    throw new UsageError(command ? `unknown command "${command}" (commands: ${COMMAND_NAMES.join(', ')})` : USAGE)
  checkUsage(command, spec, positional, opts)
  return spec.plan(opts, positional)
}
