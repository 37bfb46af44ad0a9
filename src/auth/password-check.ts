/**
 * @module The rate-limited password check behind every form that takes a password: the password
 * grant (RFC 6749 §4.3.2), the sign-in page and the password change page. Each caller renders the
 * result in its own format.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { type User, userByUsername } from '../accounts/users'
import { verifyPassword } from '../crypto/password'
import { reserveAttempt } from './rate-limit'

export type PasswordCheck =
  | { outcome: 'ok'; user: User }
  /** Unknown user, inactive user or wrong password: alike, so the answer reveals none of them. */
  | { outcome: 'wrong' }
  /** Refused before the password was hashed; try again in `retryAfter` seconds. */
  | { outcome: 'limited'; retryAfter: number }

/**
 * Checks `password` for `username`, within the brute-force limits (src/auth/rate-limit.ts). The
 * attempt's reservation and the user's row are one D1 batch; a refused attempt costs no hash and
 * answers alike whether or not the user exists.
 */
export async function checkPassword(c: Context<AppEnv>, username: string, password: string): Promise<PasswordCheck> {
  const db = c.get('db')
  const attempt = reserveAttempt(c, username)
  const [userIp, ip, perUser, found] = await db.batch([...attempt.statements, userByUsername(db, username)])
  const { retryAfter, release } = attempt.settle([userIp, ip, perUser])
  if (retryAfter) return { outcome: 'limited', retryAfter }
  const user = found[0]
  // Always one hash, so an unknown username answers in the time a wrong password does.
  const valid = await verifyPassword(password, user?.password)
  // A wrong password keeps its reservation: it is the failure counted.
  if (!user || !valid || !user.isActive) return { outcome: 'wrong' }
  await release()
  return { outcome: 'ok', user }
}
