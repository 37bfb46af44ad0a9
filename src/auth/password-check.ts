/**
 * @module The rate-limited password check behind every form that takes a password: the password
 * grant (RFC 6749 §4.3.2), the sign-in page and the password change page. Each caller renders the
 * result in its own format. It takes plain inputs, as the token service does: no request.
 */
import type { Clock } from '../clock'
import type { Db } from '../db/client'
import { verifyPassword } from '../crypto/password'
import { type User, userByUsername } from '../store/users'
import { reserveAttempt } from './rate-limit'

export type PasswordCheck =
  | { outcome: 'ok'; user: User }
  /** Unknown user, inactive user or wrong password: alike, so the answer reveals none of them. */
  | { outcome: 'wrong' }
  /** Refused before the password was hashed; try again in `retryAfter` seconds. */
  | { outcome: 'limited'; retryAfter: number }

/** One password attempt: the (normalised) username, the password, and the client's address (`clientIp`). */
export type PasswordAttempt = { username: string; password: string; ip: string }

/**
 * Checks the attempt's password, within the brute-force limits (src/auth/rate-limit.ts). The
 * attempt's reservation and the user's row are one D1 batch; a refused attempt costs no hash and
 * answers alike whether or not the user exists.
 */
export async function checkPassword(
  { db, clock }: { db: Db; clock: Clock },
  { username, password, ip }: PasswordAttempt,
): Promise<PasswordCheck> {
  const { retryAfter, release, read } = await reserveAttempt(db, clock, username, ip, userByUsername(db, username))
  if (retryAfter) return { outcome: 'limited', retryAfter }
  const user = read[0]
  // Always one hash, so an unknown username answers in the time a wrong password does.
  const valid = await verifyPassword(password, user?.password)
  // A wrong password keeps its reservation: it is the failure counted.
  if (!user || !valid || !user.isActive) return { outcome: 'wrong' }
  await release()
  return { outcome: 'ok', user }
}
