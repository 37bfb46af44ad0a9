/**
 * @module Structured logs: one JSON object per line, always with the request id. Callers pass
 * field names and values they chose; never a request body, header, token or secret.
 */
import type { Context } from 'hono'
import type { AppEnv } from './env'

type Level = 'info' | 'warn' | 'error'

export function log(
  c: Context<AppEnv> | Context,
  level: Level,
  fields: Record<string, string | number | boolean | null>,
) {
  const line = JSON.stringify({
    level,
    requestId: (c as Context<AppEnv>).get('requestId') ?? null,
    method: c.req.method,
    path: c.req.path,
    ...fields,
  })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}
