/**
 * `npm run admin -- <command>`: users, groups, applications and tokens in D1 and KV (the D1
 * console, made usable). Local database by default, opened in this process as `npm start` serves
 * it (pending local migrations are applied first, so it works on a fresh clone), `--remote` for the
 * deployed one; `--json` prints exactly one JSON object on stdout; `--print-sql` prints the SQL
 * instead of running it. Usage: scripts/admin/commands.ts; docs/admin-cli.md.
 */
import { parseArgs } from 'node:util'
import { checkUsage, plan, SETS_PASSWORD, USAGE } from './admin/commands'
import type { Target } from './admin/d1'
import { ACTIONS, isWrite } from './admin/manage'
import { resolvePassword } from './admin/password-input'
import { runPlan } from './admin/plan'
import { openRunner, type Runner, withLockRetry } from './admin/runner'
import { inlineSql, UsageError } from './admin/sql'
import { RESOURCE_OPTIONS } from './admin/resources'

const text = { type: 'string' } as const
const flag = { type: 'boolean' } as const

type Answer = Record<string, unknown>

async function main(): Promise<void> {
  const { values: opts, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...{ json: flag, 'print-sql': flag, remote: flag, 'persist-to': text, help: { ...flag, short: 'h' } },
      ...{
        username: text,
        email: text,
        password: text,
        'password-stdin': flag,
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
      ...{ 'skip-authorization': flag, search: text, 'client-id': text, superuser: flag, off: flag },
      ...RESOURCE_OPTIONS,
      ...{ label: text, days: text },
    },
  })
  if (opts.help) {
    console.log(USAGE)
    return
  }
  if (opts.remote && opts['persist-to'] !== undefined)
    throw new UsageError('--persist-to selects a local state: not with --remote')
  const [command, ...rest] = positionals
  const target: Target = { remote: opts.remote === true, persistTo: opts['persist-to'] }
  const action = command ? ACTIONS[command] : undefined
  if (command && action) {
    checkUsage(command, action, rest, opts)
    const runner = await openRunner(target)
    try {
      return print(await runAction(runner, command, opts))
    } finally {
      await runner.close()
    }
  }
  // Check the command and its options before asking for a password.
  if (command && SETS_PASSWORD.includes(command) && opts.help === undefined) {
    await plan(command, rest, { ...opts, password: undefined, 'password-stdin': undefined }).catch((err) => {
      if (!(err instanceof UsageError && /^--password/.test(err.message))) throw err
    })
    await resolvePassword(opts)
  }
  const steps = await plan(command, rest, opts)
  if (opts['print-sql']) {
    console.log(steps.sql.join('\n'))
    if (steps.printNote) console.error(steps.printNote)
    return
  }
  const runner = await openRunner(target)
  try {
    print(await runPlan(runner, steps))
  } finally {
    await runner.close()
  }

  function print(answer: Answer | null) {
    if (answer === null) return
    console.log(opts.json ? JSON.stringify(answer) : plainText(answer))
  }
}

/** Runs a list/change/remove command; null when it printed SQL instead. */
async function runAction(runner: Runner, command: string, opts: Record<string, string | boolean | undefined>) {
  const result = await ACTIONS[command]!.action(runner, opts)
  if (!isWrite(result)) return result
  if (opts['print-sql']) {
    // Every batch item is a drizzle query builder, which can say its SQL.
    const queries = result.statements as unknown as { toSQL(): { sql: string; params: unknown[] } }[]
    console.log(queries.map((q) => inlineSql(q.toSQL())).join('\n'))
    if (result.printNote) console.error(result.printNote)
    return null
  }
  const batch = () => runner.db.batch(result.statements as [never, ...never[]])
  const results = runner.target.remote ? await batch() : await withLockRetry(batch)
  return result.answer(results)
}

/** Without --json: one `key: value` line per field; a list as one line per item. */
function plainText(answer: Answer): string {
  const value = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))
  const [only] = Object.values(answer)
  if (Object.keys(answer).length === 1 && Array.isArray(only)) {
    if (only.length === 0) return `(no ${Object.keys(answer)[0]})`
    return only
      .map((row: Answer) =>
        Object.entries(row)
          .map(([k, v]) => `${k}=${value(v)}`)
          .join('  '),
      )
      .join('\n')
  }
  return Object.entries(answer)
    .map(([k, v]) => `${k}: ${value(v)}`)
    .join('\n')
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
