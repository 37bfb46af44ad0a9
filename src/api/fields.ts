/** @module DRF-style field validation: each check returns the cleaned value or collects DRF's message. */

export type Errors = Record<string, string[]>

type CharOptions = {
  required?: boolean
  allowBlank?: boolean
  maxLength: number
  trim?: boolean
  normalize?: (text: string) => string
}

/**
 * DRF's CharField: strings and numbers are accepted, whitespace trimmed, length checked. With
 * `normalize`, the checks apply to the normalised text, which is what is returned (and stored).
 */
export function charField(
  data: Record<string, unknown>,
  name: string,
  opts: CharOptions,
  errors: Errors,
): string | undefined {
  const value = data[name]
  const fail = (message: string) => {
    errors[name] = [message]
    return undefined
  }
  if (value === undefined) return opts.required ? fail('This field is required.') : undefined
  if (value === null) return fail('This field may not be null.')
  if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value)))
    return fail('Not a valid string.')
  const trimmed = opts.trim === false ? String(value) : String(value).trim()
  const text = opts.normalize ? opts.normalize(trimmed) : trimmed
  if (text === '' && !opts.allowBlank) return fail('This field may not be blank.')
  if ([...text].length > opts.maxLength) return fail(`Ensure this field has no more than ${opts.maxLength} characters.`)
  return text
}

// Shared with the admin site, which may not import this surface: it lives in src/accounts/.
export { isValidEmail } from '../accounts/email'
