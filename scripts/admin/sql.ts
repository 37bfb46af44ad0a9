/** @module SQL text for the admin CLI: literals quoted safely, so statements can also be pasted into the D1 console. */

/** A SQL string literal (single quotes doubled); NUL cannot be stored in a D1 text and is refused. */
export function str(value: string): string {
  if (value.includes('\0')) throw new UsageError('values must not contain NUL characters')
  return `'${value.replace(/'/g, "''")}'`
}

export const bool = (value: boolean) => (value ? '1' : '0')

/** Bad input (including a name that is taken or unknown): the CLI prints the message as its one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
