/**
 * @module The admin commands that create: users, groups, memberships, applications, and the
 * cleanup. Each validates its input with the modules the API and the pages use (username and email
 * rules, Django's password validators, the application form), then returns the store layer's
 * statements (src/store/) for one batch. An insert that must not duplicate a name is the store's
 * `… on conflict do nothing`: the unique index refuses a duplicate atomically, even from a
 * concurrent writer, and the SQL pasted twice inserts once. Also the table of every command.
 */
import { hashPassword } from '../../src/crypto/password'
import { newClientId, newSecret } from '../../src/crypto/token'
import { normalizeUsername, usernameProblem } from '../../src/accounts/users'
import { type PasswordOwner, passwordProblems } from '../../src/accounts/passwords'
import { isValidEmail } from '../../src/accounts/email'
import { type FieldErrors, readApplicationForm } from '../../src/oauth/application-form'
import { CLIENT_TYPES, GRANT_TYPES } from '../../src/store/applications'
import { insertApplicationStatement } from '../../src/store/admin-oauth'
import { cleanupStatements, runCleanup } from '../../src/store/cleanup'
import { addMemberStatement, insertGroupUnlessTakenStatement } from '../../src/store/groups'
import { insertUserUnlessTakenStatement, replacePasswordStatements, type User } from '../../src/store/users'
import { type Command, firstRow, type Job, type Options, optional, required, type Write } from './action'
import { groupNamed, MANAGE_COMMANDS, userNamed } from './manage'
import type { Runner } from './runner'
import { UsageError } from './sql'
import { RESOURCE_COMMANDS } from './resources'
import { REGISTRATION_COMMANDS } from './registration'

/**
 * A required username option, NFKC-normalised as the API, sign-in and the password grant take it
 * (`ａｄｍｉｎ` names the user `admin`): before every check and in the SQL. `--owner` is too.
 */
const usernameOption = (opts: Options, name: string): string => normalizeUsername(required(opts, name))

/** Django's auth.Group.name max_length. */
const GROUP_NAME_MAX_LENGTH = 150

/** The new user's fields but the password, checked. */
function newUserFields(opts: Options, superuser: boolean) {
  const username = usernameOption(opts, 'username')
  const invalid = usernameProblem(username)
  if (invalid) throw new UsageError(`invalid username "${username}": ${invalid}`)
  const email = superuser ? required(opts, 'email') : optional(opts, 'email')
  if (email && !isValidEmail(email)) throw new UsageError(`invalid email "${email}"`)
  return { username, email, firstName: optional(opts, 'first-name'), lastName: optional(opts, 'last-name') }
}

/** `password`, if Django's validators accept it for `owner`; else a UsageError naming every problem. */
function newPassword(owner: PasswordOwner, password: string): string {
  const problems = passwordProblems(owner, password)
  if (problems.length) throw new UsageError(`--password: ${problems.join(' ')}`)
  return password
}

const createUser =
  (superuser: boolean) =>
  async (runner: Runner, opts: Options): Promise<Write> => {
    const fields = newUserFields(opts, superuser)
    const password = await hashPassword(newPassword(fields, required(opts, 'password')))
    const staff = superuser || opts.staff === true
    return {
      statements: [
        insertUserUnlessTakenStatement(runner.db, { ...fields, password, isStaff: staff, isSuperuser: superuser }),
      ],
      answer: async ([rows]) => {
        const user = firstRow<User>(rows)
        if (!user) throw new UsageError(`a user named "${fields.username}" already exists`)
        return { id: user.id, username: user.username }
      },
    }
  }

/** A new password, as the password change page sets it: every session of the user ends with it. */
const changePassword: Command['action'] = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  const hash = await hashPassword(newPassword(user, required(opts, 'password')))
  return {
    statements: [...replacePasswordStatements(runner.db, user.id, hash)],
    answer: async ([, ended]) => ({ username: user.username, sessions_ended: (ended as unknown[]).length }),
  }
}

function groupNameArgument(positional: string[]): string {
  const name = positional[0] ?? ''
  if (!name.trim()) throw new UsageError('creategroup needs a NAME')
  if (name.length > GROUP_NAME_MAX_LENGTH)
    throw new UsageError(`group names have at most ${GROUP_NAME_MAX_LENGTH} characters`)
  return name
}

const createGroup: Command['action'] = async (runner, _, positional) => {
  const name = groupNameArgument(positional)
  return {
    statements: [insertGroupUnlessTakenStatement(runner.db, name)],
    answer: async ([rows]) => {
      const group = firstRow<{ id: number; name: string }>(rows)
      if (!group) throw new UsageError(`a group named "${name}" already exists`)
      return { id: group.id, name: group.name }
    },
  }
}

const addToGroup: Command['action'] = async (runner, opts) => {
  const user = await userNamed(runner, opts)
  const group = await groupNamed(runner, opts)
  return {
    // Already a member: nothing to do, and not an error (the command's end state holds).
    statements: [addMemberStatement(runner.db, user.id, group.id)],
    answer: async () => ({ username: user.username, group: group.name }),
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

const createApp: Command['action'] = async (runner, opts) => {
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
  const owner = optional(opts, 'owner') ? await userNamed(runner, { username: opts.owner }) : undefined
  const clientId = newClientId()
  const secret = fields.clientType === 'confidential' ? newSecret() : null
  const values = { ...fields, clientId, clientSecretHash: secret?.hash ?? null, userId: owner?.id ?? null }
  return {
    statements: [insertApplicationStatement(runner.db, { ...values, skipAuthorization })],
    printNote: `client_id: ${clientId}\n${secret ? `client_secret: ${secret.token} (shown this once: the SQL holds only its SHA-256)` : 'client_secret: none (public client)'}`,
    // The secret exists only here and in the operator's terminal: D1 keeps its SHA-256.
    answer: async () => ({ client_id: clientId, client_secret: secret?.token ?? null }),
  }
}

/**
 * The cron's cleanup (src/store/cleanup.ts), with the same UNUSED_CLIENT_DAYS (the target's vars,
 * ./vars.ts): each delete repeated until it deletes less than a batch.
 */
const cleanup: Command['action'] = async (runner): Promise<Job> => {
  const now = runner.deps.clock.now()
  const days = runner.deps.settings.unusedClientDays
  return {
    sql: cleanupStatements(now, days).map((s) => `${s.sql};`),
    run: async () => ({ deleted: await runCleanup(runner.d1, now, days) }),
  }
}

const USER_OPTIONS = ['username', 'email', 'password', 'password-stdin', 'first-name', 'last-name']

const CREATE_COMMANDS: Record<string, Command> = {
  createsuperuser: {
    options: USER_OPTIONS,
    check: (o) => newUserFields(o, true),
    action: createUser(true),
  },
  createuser: { options: [...USER_OPTIONS, 'staff'], check: (o) => newUserFields(o, false), action: createUser(false) },
  creategroup: { options: [], args: 'NAME', check: (_, p) => groupNameArgument(p), action: createGroup },
  addtogroup: { options: ['username', 'group'], action: addToGroup },
  changepassword: {
    options: ['username', 'password', 'password-stdin'],
    check: (o) => usernameOption(o, 'username'),
    action: changePassword,
  },
  createapp: {
    options: ['name', 'client-type', 'grant-type', 'redirect-uris', 'allowed-origins', 'owner', 'skip-authorization'],
    action: createApp,
  },
  cleanup: { options: [], action: cleanup },
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  ...CREATE_COMMANDS,
  ...MANAGE_COMMANDS,
  ...RESOURCE_COMMANDS,
  ...REGISTRATION_COMMANDS,
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = ['json', 'print-sql', 'remote', 'persist-to', 'help']

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
  cleanup         delete expired codes, grants, sessions, rate-limit windows and unused self-registered clients
  listusers       [--search TEXT]   listgroups   listapps   listtokens [--username U] [--client-id ID]
  deactivateuser  --username U   (revokes their grants, ends their sessions)   activateuser --username U
  deleteuser      --username U   deleteapp --client-id ID   deletegroup --group G
  removefromgroup --username U --group G
  revoketokens    --username U [--client-id ID]
  setstaff        --username U [--superuser] [--off]
  createresource  --uri URI [--name N] [--scopes "a b"] [--token-format opaque|jwt] [--access-token-expire-seconds N]
  listresources   deleteresource --uri URI
  createinitialaccesstoken [--label TEXT] [--days N]   a token for /o/register/ (RFC 7591 §3)`

/** Commands that set a password: it may come from `--password-stdin` or a prompt (password-input.ts). */
export const SETS_PASSWORD = ['createsuperuser', 'createuser', 'changepassword']

/**
 * The command named `command`, after checking that it exists and takes the options and arguments
 * given, and its input checks that need no database.
 */
export function commandFor(command: string | undefined, positional: string[], opts: Options): Command {
  const spec = command ? COMMANDS[command] : undefined
  if (!spec || !command) {
    const names = Object.keys(COMMANDS).join(', ')
    throw new UsageError(command ? `unknown command "${command}" (commands: ${names})` : USAGE)
  }
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
  spec.check?.(opts, positional)
  return spec
}
