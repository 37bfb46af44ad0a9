/**
 * @module The deployed D1 database as a `D1Database` that drizzle can drive, over `wrangler d1
 * execute --remote`: each statement's parameters are written into its text (inlineSql), and a
 * batch is one wrangler call. Rows come back as wrangler's JSON objects; drizzle reads a row's
 * values in column order (as it does for D1's own batch results), so a query here must not select
 * two columns of the same name.
 */
import { execute, type Target } from './d1'
import { inlineSql } from './sql'

type Statement = { text: () => string }

/** A D1Database whose statements run remotely through wrangler, one call per `batch` or query. */
export function remoteD1(target: Target): D1Database {
  const runAll = async (statements: Statement[]) =>
    execute(target, statements.map((s) => s.text()).join('\n')).map((r) => ({
      results: r.results,
      success: true,
      // The deployed D1 reports the rows a statement changed (the cleanup counts its deletes by them).
      meta: { changes: r.meta?.changes ?? 0 },
    }))
  const statement = (sql: string, params: unknown[] = []) => {
    const self = {
      text: () => inlineSql({ sql, params }),
      bind: (...values: unknown[]) => statement(sql, values),
      all: async () => (await runAll([self]))[0]!,
      run: async () => (await runAll([self]))[0]!,
      raw: async () => (await runAll([self]))[0]!.results.map((row) => Object.values(row)),
      first: async () => (await runAll([self]))[0]!.results[0] ?? null,
    }
    return self
  }
  return { prepare: (sql: string) => statement(sql), batch: runAll } as unknown as D1Database
}
