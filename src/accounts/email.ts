/** @module What an email address must look like (Django's EmailValidator, simplified), for the API, the admin site and the CLI. */

// Django's EmailValidator, simplified: a dot-atom local part, a domain of labels with a TLD.
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

/** Whether `value` is an email address Django's EmailValidator would take (simplified). */
export function isValidEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value)
}
