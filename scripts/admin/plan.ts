/**
 * @module What a command does to D1, and running it. A plan is one write guarded by conditions
 * (a name is free, a user exists): the write's own `WHERE` repeats them, so it changes nothing
 * unless they hold, and a check and its write cannot be split by a concurrent writer. Run, the
 * guards are also selected, in the same wrangler call, to say which one failed.
 */
import { D1Error, type StatementResult } from './d1'
import type { Runner } from './runner'
import { UsageError } from './sql'

/** A condition the write needs: whether `select` returns a row must be `expect`; else `message`. */
export type Guard = { select: string; expect: boolean; message: string }

export type Plan = {
  guards: Guard[]
  /** The write's statements, each `;`-terminated and guarded (see `holds`): safe to paste into the D1 console. */
  sql: string[]
  /** For `--print-sql`: what the operator must see beside the SQL (stderr), e.g. a new client secret. */
  printNote?: string
  /** The message when a UNIQUE index refuses the write anyway (a concurrent insert of the same name). */
  taken?: string
  /** The answer, from the rows of each statement of `sql`. */
  result: (statements: StatementResult[]) => Record<string, unknown>
  /** Asked after each run: true runs the plan again (a batched delete with rows left). */
  again?: () => boolean
}

const exists = (g: Guard) => `${g.expect ? '' : 'not '}exists (${g.select})`

/** A SQL condition true only when every guard holds (`1` when there are none). */
export const holds = (guards: Guard[]) => (guards.length ? guards.map(exists).join(' and ') : '1')

/** Runs the plan (again while it asks to): one batch (one wrangler call) selects the guards, then runs the guarded write. */
export async function runPlan(runner: Runner, plan: Plan): Promise<Record<string, unknown>> {
  for (;;) {
    const answer = await runOnce(runner, plan)
    if (!plan.again?.()) return answer
  }
}

async function runOnce(runner: Runner, plan: Plan): Promise<Record<string, unknown>> {
  const check = plan.guards.length ? [`select ${plan.guards.map((g, i) => `${exists(g)} as ok${i}`).join(', ')};`] : []
  const target = runner.target
  let statements: StatementResult[]
  try {
    statements = await runner.run([...check, ...plan.sql])
  } catch (err) {
    if (err instanceof D1Error && err.isUniqueViolation && plan.taken) throw new UsageError(plan.taken)
    if (err instanceof D1Error && target.remote && /no such table/.test(err.message)) {
      throw new D1Error(`${err.message} (apply the migrations first: npx wrangler d1 migrations apply DB --remote)`)
    }
    throw err
  }
  if (check.length) {
    const row = statements.shift()?.results[0] ?? {}
    const failed = plan.guards.find((_, i) => !row[`ok${i}`])
    if (failed) throw new UsageError(failed.message)
  }
  return plan.result(statements)
}

/** The one row a guarded `insert … returning` gave back. */
export function insertedRow(statements: StatementResult[]): Record<string, unknown> {
  const row = statements[statements.length - 1]?.results[0]
  // Every guard held a moment ago in the same call, so the insert ran; refuse to answer if it did not.
  if (!row) throw new Error('the database returned no row for the insert')
  return row
}
