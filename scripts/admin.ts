/**
 * `npm run admin -- <command>`: seeds users, groups and applications in D1 (the D1 console, made
 * usable). Local database by default (pending local migrations are applied first, so it works on a
 * fresh clone), `--remote` for the deployed one; `--json` prints exactly one JSON object on stdout;
 * `--print-sql` prints the SQL instead of running it. Usage: scripts/admin/commands.ts.
 */
import { parseArgs } from 'node:util'
import { plan, USAGE } from './admin/commands'
import { applyLocalMigrations, type Target } from './admin/d1'
import { runPlan } from './admin/plan'
import { UsageError } from './admin/sql'
import { RESOURCE_OPTIONS } from './admin/resources'

const text = { type: 'string' } as const
const flag = { type: 'boolean' } as const

async function main(): Promise<void> {
  const { values: opts, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...{ json: flag, 'print-sql': flag, remote: flag, 'persist-to': text, help: { ...flag, short: 'h' } },
      ...{
        username: text,
        email: text,
        password: text,
        'first-name': text,
        'last-name': text,
        staff: flag,
        group: text,
      },
      ...{
        name: text,
        'client-type': text,
        'grant-type': text,
        'redirect-uris': text,
        'allowed-origins': text,
        owner: text,
      },
      'skip-authorization': flag,
      ...RESOURCE_OPTIONS,
    },
  })
  if (opts.help) {
    console.log(USAGE)
    return
  }
  if (opts.remote && opts['persist-to'] !== undefined)
    throw new UsageError('--persist-to selects a local state: not with --remote')
  const [command, ...rest] = positionals
  const steps = await plan(command, rest, opts)
  if (opts['print-sql']) {
    console.log(steps.sql)
    if (steps.printNote) console.error(steps.printNote)
    return
  }
  const target: Target = { remote: opts.remote === true, persistTo: opts['persist-to'] }
  // The deployed database's migrations are the operator's step (README, "Deploying"), not a side effect.
  if (!target.remote) applyLocalMigrations(target)
  const answer = runPlan(target, steps)
  const line = ([k, v]: [string, unknown]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`
  console.log(opts.json ? JSON.stringify(answer) : Object.entries(answer).map(line).join('\n'))
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    // One clear line; never a stack trace, never the SQL (it holds a password hash).
    const usage = err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
    const raw = err instanceof Error ? err.message : String(err)
    // node:util's parseArgs explains at length how to pass a positional starting with '-': say only what is wrong.
    const message = raw.replace(/^(Unknown option '[^']*')\. To specify a positional.*$/s, '$1')
    console.error(usage && message === USAGE ? USAGE : `error: ${message.split('\n')[0]}`)
    process.exit(usage ? 2 : 1)
  },
)
