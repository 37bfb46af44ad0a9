/** @module Reading an OAuth endpoint's form-encoded body (RFC 6749 §3.2, Appendix B). */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { OAuthError } from '../errors'
import { MAX_PARAM_LENGTH } from '../config'
import { readText } from '../http/body'

/** Parameters a request may repeat: RFC 8707 §2 names several resources by repeating `resource`. */
export const REPEATABLE: ReadonlySet<string> = new Set(['resource'])

/**
 * §3.1, §3.2: a parameter "MUST NOT be included more than once", so one sent twice (but `resource`,
 * RFC 8707 §2) is `invalid_request`; and none may be longer than MAX_PARAM_LENGTH. For the token, revocation and
 * introspection endpoints' bodies and the authorization request's query alike.
 */
export function checkParamsOnce(params: URLSearchParams): void {
  const seen = new Set<string>()
  for (const [key, value] of params) {
    // error_description may only hold printable ASCII without quotes or backslashes (§5.2).
    const name = /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? `${key} ` : ''
    if (seen.has(key) && !REPEATABLE.has(key)) throw new OAuthError('invalid_request', `Duplicate ${name}parameter.`)
    if (value.length > MAX_PARAM_LENGTH) throw new OAuthError('invalid_request', `The ${name}parameter is too long.`)
    seen.add(key)
  }
}

/**
 * The body's parameters. Only `application/x-www-form-urlencoded` carries parameters; any other
 * body reads as empty, so the request fails on its first missing parameter, as in DOT. Each
 * parameter at most once (`checkParamsOnce`).
 */
export async function readOAuthForm(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  const form =
    type === 'application/x-www-form-urlencoded' ? new URLSearchParams(await readText(c)) : new URLSearchParams()
  checkParamsOnce(form)
  return form
}

/** The value of a required parameter, or `invalid_request` with DOT's message naming it. */
export function requireParam(
  form: URLSearchParams,
  name: string,
  message = `Request is missing ${name} parameter.`,
): string {
  const value = form.get(name)
  if (!value) throw new OAuthError('invalid_request', message)
  return value
}
