/** @module SQL text for the admin CLI: literals quoted safely, so statements can also be pasted into the D1 console. */

/** A SQL string literal (single quotes doubled); NUL cannot be stored in a D1 text and is refused. */
function str(value: string): string {
  if (value.includes('\0')) throw new UsageError('values must not contain NUL characters')
  return `'${value.replace(/'/g, "''")}'`
}

const bool = (value: boolean) => (value ? '1' : '0')

/** Bad input (including a name that is taken or unknown): the CLI prints the message as its one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** One bound value as a SQL literal. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean') return bool(value)
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'bigint') return String(value)
  if (typeof value === 'string') return str(value)
  throw new Error(`cannot write ${typeof value} as a SQL literal`)
}

/**
 * A drizzle query's SQL (`.toSQL()`) with its parameters written in as literals, `;`-terminated:
 * text for the D1 console and for `wrangler d1 execute`, which take no bound parameters. Only the
 * `?` outside quoted strings and identifiers are placeholders.
 */
export function inlineSql(query: { sql: string; params: unknown[] }): string {
  let i = 0
  const text = query.sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (m) =>
    m === '?' ? literal(query.params[i++]) : m,
  )
  if (i !== query.params.length) throw new Error('placeholders and parameters do not match')
  return `${text};`
}
