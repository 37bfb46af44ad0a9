/**
 * @module The admin commands for resources (RFC 8707, docs/resources.md): the APIs other than the
 * built-in one that this server issues tokens for. `createresource` checks the URI as the token
 * and authorization endpoints check a `resource` parameter, and its scopes (its own names, never the server's);
 * the statements are the store's (src/store/resources.ts).
 */
import { apiResourceUriFor, resourceScopesProblem, resourceUriProblem } from '../../src/oauth/resources'
import {
  deleteResourceStatement,
  insertResourceUnlessTakenStatement,
  type ResourceRow,
  selectResources,
} from '../../src/store/resources'
import { type Command, firstRow, type Options, optional } from './action'
import type { Runner } from './runner'
import { UsageError } from './sql'

const TOKEN_FORMATS = ['opaque', 'jwt'] as const

function uriOption(opts: Options): string {
  const uri = optional(opts, 'uri')
  if (!uri) throw new UsageError('--uri is required')
  const problem = resourceUriProblem(uri)
  if (problem) throw new UsageError(`--uri: ${problem} (RFC 8707 §2)`)
  return uri
}

/** A resource row as the commands print it. */
const describe = (row: ResourceRow) => ({
  uri: row.uri,
  name: row.name,
  scopes: row.scopes,
  token_format: row.tokenFormat,
  access_token_expire_seconds: row.accessTokenExpireSeconds ?? null,
})

/**
 * The URIs the built-in API answers to for `runner`'s target (src/oauth/resources.ts): API_RESOURCE,
 * else the ISSUER's origin + "/". With neither set, the issuer is the origin a request reaches:
 * locally that is `npm start`'s loopback origin (PORT, default 8787); remotely it cannot be known.
 */
function builtInApiUris(runner: Runner): string[] {
  const { API_RESOURCE: apiResource, ISSUER: issuer } = runner.vars
  if (apiResource || issuer) return [apiResourceUriFor(apiResource, issuer ?? '')]
  if (runner.target.remote) return []
  const port = process.env.PORT || '8787'
  return [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`]
}

/** Whether two absolute URIs name the same thing once parsed (case of scheme and host, default port). */
const sameUri = (a: string, b: string) => new URL(a).href === new URL(b).href

const createResource: Command['action'] = async (runner, opts) => {
  const uri = uriOption(opts)
  // The built-in API is a resource already, and always: a row for it would shadow its settings.
  const builtIn = builtInApiUris(runner).find((api) => sameUri(api, uri))
  if (builtIn) throw new Error(`--uri: ${builtIn} is the built-in users/groups API's URI, a resource already`)
  const scopes = optional(opts, 'scopes').split(' ').filter(Boolean)
  const scopesProblem = resourceScopesProblem(scopes)
  if (scopesProblem) throw new UsageError(`--scopes: ${scopesProblem}`)
  const format = optional(opts, 'token-format') || 'opaque'
  if (!(TOKEN_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--token-format: one of ${TOKEN_FORMATS.join(', ')}`)
  }
  const lifetimeOption = optional(opts, 'access-token-expire-seconds')
  if (lifetimeOption && !/^[1-9]\d{0,8}$/.test(lifetimeOption)) {
    throw new UsageError('--access-token-expire-seconds: a positive number of seconds')
  }
  const values = {
    uri,
    name: optional(opts, 'name'),
    scopes: [...new Set(scopes)].join(' '),
    tokenFormat: format as (typeof TOKEN_FORMATS)[number],
    accessTokenExpireSeconds: lifetimeOption ? Number(lifetimeOption) : null,
  }
  return {
    statements: [insertResourceUnlessTakenStatement(runner.db, values)],
    answer: async ([rows]) => {
      const row = firstRow<ResourceRow>(rows)
      if (!row) throw new UsageError(`a resource "${uri}" already exists`)
      return describe(row)
    },
  }
}

const listResources: Command['action'] = async (runner) => ({
  resources: (await selectResources(runner.db).all()).map(describe),
})

const deleteResource: Command['action'] = async (runner, opts) => {
  const uri = uriOption(opts)
  return {
    statements: [deleteResourceStatement(runner.db, uri)],
    answer: async ([rows]) => {
      if (!firstRow(rows)) throw new UsageError(`no resource "${uri}"`)
      return { uri, deleted: true }
    },
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
export const RESOURCE_COMMANDS: Record<string, Command> = {
  createresource: {
    options: ['uri', 'name', 'scopes', 'token-format', 'access-token-expire-seconds'],
    action: createResource,
  },
  listresources: { options: [], action: listResources },
  deleteresource: { options: ['uri'], action: deleteResource },
}
