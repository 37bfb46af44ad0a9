/** @module Request body helpers shared by the OAuth endpoints, the API and the pages. */
import type { Context } from 'hono'

/** The body as UTF-8 text (bytes first: workerd warns on `.text()` for form bodies). */
export async function readText(c: Context): Promise<string> {
  return new TextDecoder().decode(await c.req.arrayBuffer())
}
