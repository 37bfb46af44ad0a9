/**
 * @module The admin CLI's run: options, the command, the password, the target, the output
 * (`--json`: exactly one JSON object; without it one `key: value` line per field), exit codes.
 * `scripts/admin.ts` runs it as the process; tests also run it in their own process.
 */
import { parseArgs } from 'node:util'
import { type Answer, type Command, isJob, isWrite, type Options } from './action'
import { commandFor, SETS_PASSWORD, USAGE } from './commands'
import type { Target } from './d1'
import { resolvePassword } from './password-input'
import { openRunner, type Runner } from './runner'
import { inlineSql, UsageError } from './sql'
import { RESOURCE_OPTIONS } from './resources'

const text = { type: 'string' } as const
const flag = { type: 'boolean' } as const

/** Where a run writes, and how it opens its target: the process's own, unless a test gives others. */
export type CliIo = {
  out: (line: string) => void
  err: (line: string) => void
  openRunner: (target: Target) => Promise<Runner>
}

const PROCESS_IO: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), openRunner }

/**
 * Runs the CLI on `argv` (the arguments after the script); the exit code: 0, 2 for bad input
 * (a UsageError, an unknown option), 1 for any other failure. Every error is one line on `err`:
 * never a stack trace, never the SQL (it holds a password hash).
 */
export async function runCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  try {
    await main(argv, io)
    return 0
  } catch (err) {
    const usage = err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
    const raw = err instanceof Error ? err.message : String(err)
    // node:util's parseArgs explains at length how to pass a positional starting with '-': say only what is wrong.
    const message = raw.replace(/^(Unknown option '[^']*')\. To specify a positional.*$/s, '$1')
    io.err(usage && message === USAGE ? USAGE : `error: ${message.split('\n')[0]}`)
    return usage ? 2 : 1
  }
}

async function main(argv: string[], io: CliIo): Promise<void> {
  const { values: opts, positionals } = parseArgs({
    args: argv,
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
    io.out(USAGE)
    return
  }
  if (opts.remote && opts['persist-to'] !== undefined)
    throw new UsageError('--persist-to selects a local state: not with --remote')
  // D1 cannot store a NUL in a text, and the SQL text `--print-sql` and `--remote` write has no way to hold one.
  if ([...positionals, ...Object.values(opts)].some((v) => typeof v === 'string' && v.includes('\0')))
    throw new UsageError('values must not contain NUL characters')
  const [command, ...rest] = positionals
  const target: Target = { remote: opts.remote === true, persistTo: opts['persist-to'] }
  // The command, its options and the input it can check alone, before a password is asked for.
  const spec = commandFor(command, rest, { ...opts, password: undefined, 'password-stdin': undefined })
  if (SETS_PASSWORD.includes(command!)) await resolvePassword(opts)
  const runner = await io.openRunner(target)
  try {
    print(await run(runner, spec.action, opts, rest, io))
  } finally {
    await runner.close()
  }

  function print(answer: Answer | null) {
    if (answer === null) return
    io.out(opts.json ? JSON.stringify(answer) : plainText(answer))
  }
}

/** Runs a command's action, then its write or job; null when it printed SQL instead. */
async function run(runner: Runner, action: Command['action'], opts: Options, positional: string[], io: CliIo) {
  const result = await action(runner, opts, positional)
  if (isJob(result)) {
    if (!opts['print-sql']) return result.run()
    io.out(result.sql.join('\n'))
    return null
  }
  if (!isWrite(result)) return result
  if (opts['print-sql']) {
    // Every batch item is a drizzle query builder, which can say its SQL.
    const queries = result.statements as unknown as { toSQL(): { sql: string; params: unknown[] } }[]
    io.out(queries.map((q) => inlineSql(q.toSQL())).join('\n'))
    if (result.printNote) io.err(result.printNote)
    return null
  }
  return result.answer(await runner.batch(result.statements))
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
