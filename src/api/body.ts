/** @module Reading API request bodies the way DRF's default parsers do: JSON, form and multipart. */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { ApiError, ValidationError } from '../errors'
import { readText } from '../http/body'

/** The body as a flat object; repeated form fields keep their last value, as Django's QueryDict does. */
export async function readApiBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const raw = c.req.header('Content-Type') ?? ''
  const type = raw.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || type.endsWith('+json')) {
    let data: unknown
    try {
      data = JSON.parse(await readText(c))
    } catch {
      throw new ApiError(400, 'JSON parse error - the request body is not valid JSON.')
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      const got = Array.isArray(data) ? 'list' : data === null ? 'null' : typeof data
      throw new ValidationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] })
    }
    return data as Record<string, unknown>
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    return Object.fromEntries(new URLSearchParams(await readText(c)))
  }
  if (type === 'multipart/form-data') {
    try {
      const form = await c.req.formData()
      return Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'))
    } catch {
      throw new ApiError(400, 'Multipart form parse error - the request body is not valid multipart data.')
    }
  }
  // Quote the type only when it is plain ASCII without quotes, so no input is echoed unescaped.
  const shown = /^[\w.+/-]{1,100}$/.test(type) ? `"${type}" ` : ''
  throw new ApiError(415, `Unsupported media type ${shown}in request.`)
}
