/**
 * `npm run admin -- <command>`: seeds users, groups and applications in D1 (the D1 console, made
 * usable). Local database by default, `--remote` for the deployed one; `--json` prints exactly
 * one JSON object on stdout; `--print-sql` prints the SQL instead of running it.
 */
import { parseArgs } from 'node:util'
import { plan, USAGE } from './admin/commands'
import { applyMigrations, execute, query, type Target } from './admin/d1'
import { UsageError } from './admin/sql'

async function main(): Promise<number> {
  const { values: opts, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'print-sql': { type: 'boolean' },
      remote: { type: 'boolean' },
      'persist-to': { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      staff: { type: 'boolean' },
      group: { type: 'string' },
      name: { type: 'string' },
      'client-type': { type: 'string' },
      'grant-type': { type: 'string' },
      'redirect-uris': { type: 'string' },
      'allowed-origins': { type: 'string' },
      owner: { type: 'string' },
      'skip-authorization': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (opts.help) {
    console.log(USAGE)
    return 0
  }
  const [command, ...rest] = positionals
  const steps = await plan(command, rest, opts)
  if (opts['print-sql']) {
    console.log(steps.sql)
    return 0
  }
  const target: Target = { remote: opts.remote === true, persistTo: opts['persist-to'] }
  applyMigrations(target)
  for (const check of steps.prechecks ?? []) {
    const rows = query(target, check.sql)
    if ((check.failIf === 'rows') === rows.length > 0) throw new UsageError(check.message)
  }
  const results = execute(target, steps.sql)
  const answer = steps.result(results[results.length - 1]?.results ?? [], results)
  console.log(opts.json ? JSON.stringify(answer) : Object.entries(answer).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n'))
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One clear line; never a stack trace, never the SQL (it can hold a password hash).
    const usage = err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
    console.error(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    process.exit(usage ? 2 : 1)
  },
)
