/**
 * @module Where a new password comes from, so that it can stay out of shell history and `ps`:
 * `--password-stdin` (one line; its line ending is not part of the password), a hidden prompt when
 * stdin is a terminal, or `--password` (kept for scripts and the tutorial).
 */
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { Options } from './action'
import { UsageError } from './sql'

/** Reads all of stdin; the password is its first line, without `\n` or `\r\n`. */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  const lines = text.split(/\r?\n/)
  // "one line": a second non-empty line is more likely a mistake (a file of passwords) than a password.
  if (lines.slice(1).some((l) => l !== '')) throw new UsageError('--password-stdin takes one line')
  return lines[0]!
}

/** Asks on the terminal without echoing what is typed. */
function ask(question: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stderr.write(chunk)
      done()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return new Promise((resolve, reject) => {
    rl.question(question, (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
    rl.on('SIGINT', () => {
      rl.close()
      reject(new UsageError('cancelled'))
    })
    muted = true
  })
}

/**
 * Fills `opts.password` from `--password-stdin` or a prompt (Django's createsuperuser asks twice),
 * or refuses: no source at all, or two at once.
 */
export async function resolvePassword(opts: Options): Promise<void> {
  const fromStdin = opts['password-stdin'] === true
  delete opts['password-stdin']
  if (fromStdin && opts.password !== undefined) throw new UsageError('--password and --password-stdin: give one')
  if (fromStdin) {
    opts.password = await readStdinLine()
  } else if (opts.password === undefined && process.stdin.isTTY) {
    const first = await ask('Password: ')
    if (first !== (await ask('Password (again): '))) throw new UsageError("the two passwords didn't match")
    opts.password = first
  } else if (opts.password === undefined) {
    throw new UsageError('--password or --password-stdin is required')
  }
}
