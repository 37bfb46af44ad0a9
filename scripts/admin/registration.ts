/**
 * @module The admin command for dynamic client registration (RFC 7591 §3): an initial access token,
 * which a client presents at /o/register/ when CLIENT_REGISTRATION is "initial-access-token". It is
 * shown once; D1 keeps its SHA-256 (src/store/client-registration.ts). It may be used until it
 * expires, by any number of clients.
 */
import { newSecret } from '../../src/crypto/token'
import { insertInitialAccessTokenStatement } from '../../src/store/client-registration'
import type { Command } from './action'
import { UsageError } from './sql'

const DEFAULT_DAYS = 7
const MAX_DAYS = 365

/** `createinitialaccesstoken [--label TEXT] [--days N]`: a new token, valid for N days (default 7). */
const createInitialAccessToken: Command['action'] = async (runner, opts) => {
  const days = opts.days === undefined ? DEFAULT_DAYS : Number(opts.days)
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new UsageError(`--days must be a whole number from 1 to ${MAX_DAYS}`)
  }
  const label = typeof opts.label === 'string' ? opts.label : ''
  if (label.length > 255) throw new UsageError('--label has at most 255 characters')
  const token = newSecret()
  const expiresAt = runner.deps.clock.now() + days * 86_400
  return {
    statements: [insertInitialAccessTokenStatement(runner.db, { tokenHash: token.hash, label, expiresAt })],
    printNote: `initial_access_token: ${token.token} (shown this once: the SQL holds only its SHA-256)`,
    answer: async () => ({ initial_access_token: token.token, label, expires_at: expiresAt }),
  }
}

/** The command's entry for the command table in commands.ts. */
export const REGISTRATION_COMMANDS: Record<string, Command> = {
  createinitialaccesstoken: { options: ['label', 'days'], action: createInitialAccessToken },
}
