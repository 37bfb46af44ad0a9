/**
 * @module What an admin command is: it reads what it needs from the target (runner.ts), then
 * answers (a listing), or returns a write for the caller to run or print. A write's statements are
 * the store layer's drizzle queries (src/store/), so `--print-sql` is their `.toSQL()`; the CLI
 * builds no SQL of its own.
 */
import type { BatchItem } from 'drizzle-orm/batch'
import type { Runner } from './runner'
import { UsageError } from './sql'

export type Options = Record<string, string | boolean | undefined>
export type Answer = Record<string, unknown>

/** A change: one D1 batch, then the answer from its results (and anything done after it, e.g. KV deletes). */
export type Write = {
  statements: BatchItem<'sqlite'>[]
  answer: (results: unknown[]) => Promise<Answer>
  /** For `--print-sql`: what the operator must see beside the SQL (stderr), e.g. a new secret, or what the SQL does not do. */
  printNote?: string
}

/** A change that is not one batch (cleanup repeats its deletes until none is full): its SQL text, and running it. */
export type Job = { sql: string[]; run: () => Promise<Answer> }

/** A command's work: reads it needs, then an answer (a listing), a write or a job. */
export type Action = (runner: Runner, opts: Options, positional: string[]) => Promise<Answer | Write | Job>

/** A command: the options it takes, its one positional argument (if any), its action. */
export type Command = {
  options: string[]
  args?: string
  /**
   * Checks of the input alone (no database), run before a password is asked for, so a prompt is
   * never followed by "invalid username". The action checks again.
   */
  check?: (opts: Options, positional: string[]) => void
  action: Action
}

/** Whether an action's result is a write to run in one batch. */
export const isWrite = (result: Answer | Write | Job): result is Write =>
  Array.isArray((result as Write).statements) && typeof (result as Write).answer === 'function'

/** Whether an action's result is a job (its own statements, run by itself). */
export const isJob = (result: Answer | Write | Job): result is Job =>
  Array.isArray((result as Job).sql) && typeof (result as Job).run === 'function'

/** A required option's value; a UsageError when it is missing or empty. */
export function required(opts: Options, name: string): string {
  const value = opts[name]
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`)
  return value
}

/** An optional option's value, or ''. */
export function optional(opts: Options, name: string): string {
  const value = opts[name]
  return typeof value === 'string' ? value : ''
}

/** The one row a `… returning` statement gave back, or undefined (an insert that did nothing). */
export const firstRow = <T>(rows: unknown): T | undefined => (rows as T[])[0]
