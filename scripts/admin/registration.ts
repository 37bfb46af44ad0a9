/**
 * @module The admin command for dynamic client registration (RFC 7591 §3): an initial access token,
 * which a client presents at /o/register/ when CLIENT_REGISTRATION is "initial-access-token". It is
 * shown once; D1 keeps its SHA-256. It may be used until it expires, by any number of clients.
 */
import { randomToken, sha256Hex } from '../../src/crypto/token'
import { insertedRow, type Plan } from './plan'
import { str, UsageError } from './sql'

type Options = Record<string, string | boolean | undefined>

const DEFAULT_DAYS = 7
const MAX_DAYS = 365

/** `createinitialaccesstoken [--label TEXT] [--days N]`: a new token, valid for N days (default 7). */
export function createInitialAccessToken(opts: Options): Plan {
  const days = opts.days === undefined ? DEFAULT_DAYS : Number(opts.days)
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new UsageError(`--days must be a whole number from 1 to ${MAX_DAYS}`)
  }
  const label = typeof opts.label === 'string' ? opts.label : ''
  if (label.length > 255) throw new UsageError('--label has at most 255 characters')
  const token = randomToken()
  const expiresAt = Math.floor(Date.now() / 1000) + days * 86_400
  return {
    guards: [],
    printNote: `initial_access_token: ${token} (shown this once: the SQL holds only its SHA-256)`,
    sql: [
      `insert into initial_access_tokens (token_hash, label, expires_at)
  values (${str(sha256Hex(token))}, ${str(label)}, ${expiresAt})
  returning expires_at;`,
    ],
    result: (statements) => {
      insertedRow(statements)
      return { initial_access_token: token, label, expires_at: expiresAt }
    },
  }
}

/** The command's entry for the command table in commands.ts. */
export const REGISTRATION_COMMANDS = {
  createinitialaccesstoken: { options: ['label', 'days'], plan: createInitialAccessToken },
}
