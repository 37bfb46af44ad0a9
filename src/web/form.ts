/** @module Reading a page's form POST. */
import type { Context } from 'hono'
import { readText } from '../http/body'

/** The form's fields; a body that is not `application/x-www-form-urlencoded` reads as empty. */
export async function readForm(c: Context): Promise<URLSearchParams> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(await readText(c)) : new URLSearchParams()
}
