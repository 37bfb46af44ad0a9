/** @module What a new password must be: Django's default validators, with their messages. */
import { PASSWORD_MAX_LENGTH } from '../crypto/password'

export const PASSWORD_MIN_LENGTH = 8

/** Why `password` will not do for `username` (empty: it will). Used by the password change page, `POST /users/` and the admin CLI; `username` normalised. */
export function passwordProblems(username: string, password: string): string[] {
  if (!password) return ['This field is required.']
  if (password.length > PASSWORD_MAX_LENGTH)
    return [`Ensure this field has no more than ${PASSWORD_MAX_LENGTH} characters.`]
  // In the order of Django's AUTH_PASSWORD_VALIDATORS, which lists every failing one's message.
  const problems: string[] = []
  if (password.toLowerCase() === username.toLowerCase()) problems.push('The password is too similar to the username.')
  // Counted and matched as Python does: code points (an emoji is one), any script's decimal digits.
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`)
  }
  if (/^\p{Nd}+$/u.test(password)) problems.push('This password is entirely numeric.')
  return problems
}
