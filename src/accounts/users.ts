/** @module What a username is: its normal form and the rules it must follow (Django's). */
/** Django's UnicodeUsernameValidator: letters, digits and @/./+/-/_, at most 150 characters. */
const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u
export const USERNAME_MAX_LENGTH = 150
const INVALID_USERNAME =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'

/**
 * A username as it is stored and looked up: Unicode NFKC, as Django's
 * `AbstractBaseUser.normalize_username`, so that compatibility spellings (`ａｄｍｉｎ` fullwidth,
 * the `ﬁ` ligature, `²` superscript) are one name with their plain form, not a look-alike
 * account beside it. Applied wherever a username comes in (API, admin CLI, sign-in, password
 * grant) and before any check, so what is validated, compared and stored is the same string.
 */
export const normalizeUsername = (username: string): string => username.normalize('NFKC')

/**
 * Why a normalised username cannot be stored (undefined: it can), in DRF's words for the model
 * field. The length is counted after normalisation, in code points as Python does: NFKC can
 * lengthen a name (`ﷺ` is 18 characters) or shorten it (a letter and its combining accent).
 */
export function usernameProblem(username: string): string | undefined {
  if ([...username].length > USERNAME_MAX_LENGTH)
    return `Ensure this field has no more than ${USERNAME_MAX_LENGTH} characters.`
  if (!USERNAME_PATTERN.test(username)) return INVALID_USERNAME
  return undefined
}
