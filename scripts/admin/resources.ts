/**
 * @module The admin commands for resources (RFC 8707, docs/resources.md): the APIs other than the
 * built-in one that this server issues tokens for. `createresource` checks the URI as the token
 * and authorization endpoints check a `resource` parameter, and the scopes against the server's.
 */
import { SCOPES } from '../../src/config'
import { resourceUriProblem } from '../../src/oauth/resources'
import { type Guard, holds, insertedRow, type Plan } from './plan'
import { str, UsageError } from './sql'

type Options = Record<string, string | boolean | undefined>

const TOKEN_FORMATS = ['opaque', 'jwt'] as const

const option = (opts: Options, name: string): string => {
  const value = opts[name]
  return typeof value === 'string' ? value : ''
}

function uriOption(opts: Options): string {
  const uri = option(opts, 'uri')
  if (!uri) throw new UsageError('--uri is required')
  const problem = resourceUriProblem(uri)
  if (problem) throw new UsageError(`--uri: ${problem} (RFC 8707 §2)`)
  return uri
}

const byUri = (uri: string) => `select 1 from resources where uri = ${str(uri)}`

/** A resource row as the commands print it. */
const describe = (row: Record<string, unknown>) => ({
  uri: row.uri,
  name: row.name,
  scopes: row.scopes,
  token_format: row.token_format,
  access_token_expire_seconds: row.access_token_expire_seconds ?? null,
})

const COLUMNS = 'uri, name, scopes, token_format, access_token_expire_seconds'

function createResource(opts: Options): Plan {
  const uri = uriOption(opts)
  const scopes = option(opts, 'scopes').split(' ').filter(Boolean)
  const unknown = scopes.filter((s) => !Object.hasOwn(SCOPES, s))
  if (unknown.length)
    throw new UsageError(`--scopes: unknown ${unknown.join(', ')} (known: ${Object.keys(SCOPES).join(' ')})`)
  const format = option(opts, 'token-format') || 'opaque'
  if (!(TOKEN_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--token-format: one of ${TOKEN_FORMATS.join(', ')}`)
  }
  const lifetimeOption = option(opts, 'access-token-expire-seconds')
  if (lifetimeOption && !/^[1-9]\d{0,8}$/.test(lifetimeOption)) {
    throw new UsageError('--access-token-expire-seconds: a positive number of seconds')
  }
  const lifetime = lifetimeOption ? Number(lifetimeOption) : null
  const taken = `a resource "${uri}" already exists`
  const guards: Guard[] = [{ select: byUri(uri), expect: false, message: taken }]
  return {
    guards,
    taken,
    sql: [
      `insert into resources (${COLUMNS})
  select ${str(uri)}, ${str(option(opts, 'name'))}, ${str([...new Set(scopes)].join(' '))}, ${str(format)}, ${lifetime ?? 'null'}
  where ${holds(guards)}
  returning ${COLUMNS};`,
    ],
    result: (statements) => describe(insertedRow(statements)),
  }
}

function listResources(): Plan {
  return {
    guards: [],
    sql: [`select ${COLUMNS} from resources order by id;`],
    result: (statements) => ({ resources: (statements.at(-1)?.results ?? []).map(describe) }),
  }
}

function deleteResource(opts: Options): Plan {
  const uri = uriOption(opts)
  return {
    guards: [{ select: byUri(uri), expect: true, message: `no resource "${uri}"` }],
    // Grants for it stay until they expire, but can no longer be refreshed (invalid_target).
    sql: [`delete from resources where uri = ${str(uri)};`],
    result: () => ({ uri, deleted: true }),
  }
}

/** The options the resource commands take (`name` is shared with createapp), for the argument parser (scripts/admin.ts). */
export const RESOURCE_OPTIONS = {
  uri: { type: 'string' },
  scopes: { type: 'string' },
  'token-format': { type: 'string' },
  'access-token-expire-seconds': { type: 'string' },
} as const

/** The resource commands, for the command table (scripts/admin/commands.ts). */
export const RESOURCE_COMMANDS = {
  createresource: {
    options: ['uri', 'name', 'scopes', 'token-format', 'access-token-expire-seconds'],
    plan: createResource,
  },
  listresources: { options: [], plan: listResources },
  deleteresource: { options: ['uri'], plan: deleteResource },
}
