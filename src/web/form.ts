/**
 * @module Reading a page's form POST: every form POST of the pages starts here, so none can skip
 * the CSRF check (src/web/csrf.ts, RFC 6749 §10.12).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { readText } from '../http/body'
import { verifyCsrf } from './csrf'
import { renderError } from './views/error'

/** The form's fields; a body that is not `application/x-www-form-urlencoded` reads as empty. */
async function readForm(c: Context): Promise<URLSearchParams> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(await readText(c)) : new URLSearchParams()
}

/**
 * The POSTed form, and whether it is forged: from another site, or without the token of the
 * session it acts for (or, before sign-in, of the sign-in cookie). A forged form must change nothing.
 *
 * @example
 * const { form, forged } = await readPostedForm(c)
 * if (forged) return refuseForgedForm(c)
 */
export async function readPostedForm(c: Context<AppEnv>): Promise<{ form: URLSearchParams; forged: boolean }> {
  const form = await readForm(c)
  return { form, forged: !verifyCsrf(c, form) }
}

/** The 403 page for a forged or stale form; `detail` says what to do next. */
export const refuseForgedForm = (
  c: Context<AppEnv>,
  detail = 'This form has expired or did not come from this site. Reload the page and try again.',
) => renderError(c, 403, 'Request refused', detail)
