/** @module What a new password must be: Django's default validators, with their messages. */
import { PASSWORD_MAX_LENGTH } from '../crypto/password'

const PASSWORD_MIN_LENGTH = 8

/** The account a password is for, as far as it is known: what the similarity check compares with. */
export type PasswordOwner = {
  username: string
  email?: string | null
  firstName?: string | null
  lastName?: string | null
}

/** UserAttributeSimilarityValidator's attributes, with the verbose names its message uses. */
const ATTRIBUTES = [
  ['username', 'username'],
  ['firstName', 'first name'],
  ['lastName', 'last name'],
  ['email', 'email address'],
] as const

/** Django's DEFAULT_MAX_SIMILARITY. */
const MAX_SIMILARITY = 0.7

/**
 * difflib's SequenceMatcher(a, b).quick_ratio(): 2·M / (|a| + |b|), M the characters the two have
 * in common counted with multiplicity (an upper bound of the real ratio, which is what Django uses).
 */
function quickRatio(a: string[], b: string[]): number {
  const left = new Map<string, number>()
  for (const ch of b) left.set(ch, (left.get(ch) ?? 0) + 1)
  let matches = 0
  for (const ch of a) {
    const n = left.get(ch) ?? 0
    if (n > 0) {
      left.set(ch, n - 1)
      matches++
    }
  }
  return a.length + b.length === 0 ? 1 : (2 * matches) / (a.length + b.length)
}

/**
 * The verbose name of the first attribute `password` is too similar to, as Django's
 * UserAttributeSimilarityValidator decides: each attribute whole and split on non-word characters
 * (`alice@example.com` → `alice`, `example`, `com`), lower-cased; a part is skipped when the
 * password is at least ten times as long and the part shorter than half the similarity bound.
 */
function similarAttribute(owner: PasswordOwner, password: string): string | null {
  const pwd = [...password.toLowerCase()]
  for (const [key, name] of ATTRIBUTES) {
    const value = owner[key]
    if (!value) continue
    const lower = value.toLowerCase()
    for (const part of [...lower.split(/[^\p{L}\p{N}_]+/u), lower]) {
      const chars = [...part]
      if (pwd.length >= 10 * chars.length && chars.length < (MAX_SIMILARITY / 2) * pwd.length) continue
      if (quickRatio(pwd, chars) >= MAX_SIMILARITY) return name
    }
  }
  return null
}

/**
 * Why `password` will not do for `owner` (empty: it will), every failing validator's message in
 * the order of Django's default AUTH_PASSWORD_VALIDATORS: attribute similarity, minimum length,
 * numeric. Django's fourth, the common-password list, is not included. Used by the password change
 * page, `POST /users/` and the admin CLI; `owner.username` normalised.
 */
export function passwordProblems(owner: PasswordOwner, password: string): string[] {
  if (!password) return ['This field is required.']
  if (password.length > PASSWORD_MAX_LENGTH)
    return [`Ensure this field has no more than ${PASSWORD_MAX_LENGTH} characters.`]
  const problems: string[] = []
  const similar = similarAttribute(owner, password)
  if (similar) problems.push(`The password is too similar to the ${similar}.`)
  // Counted and matched as Python does: code points (an emoji is one), any script's decimal digits.
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`)
  }
  if (/^\p{Nd}+$/u.test(password)) problems.push('This password is entirely numeric.')
  return problems
}
