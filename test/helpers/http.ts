/** Requests to the Worker under test, the way a client sends them. */
import { exports } from 'cloudflare:workers'
import { rememberSecret, rememberSecretsIn } from './secrets'

export const ORIGIN = 'http://127.0.0.1:8787'

/** The challenge attribute every 401 of the users/groups API ends with (RFC 9728 §5.1). */
export const RESOURCE_METADATA = `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource"`

type Options = {
  method?: string
  token?: string
  basic?: [string, string]
  form?: Record<string, string> | string
  json?: unknown
  headers?: Record<string, string>
}

export const basicAuth = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`

export function call(path: string, opts: Options = {}): Promise<Response> {
  const headers = new Headers(opts.headers)
  if (opts.token !== undefined) headers.set('Authorization', `Bearer ${opts.token}`)
  if (opts.basic) headers.set('Authorization', basicAuth(...opts.basic))
  rememberSecret(headers.get('Authorization'))
  rememberSecret(opts.token)
  rememberSecret(opts.basic?.[1])
  let body: string | undefined
  if (opts.form !== undefined) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded')
    body = typeof opts.form === 'string' ? opts.form : new URLSearchParams(opts.form).toString()
    rememberSecretsIn(new URLSearchParams(body))
  } else if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json')
    body = JSON.stringify(opts.json)
    rememberSecretsIn(opts.json)
  }
  const method = opts.method ?? (body === undefined ? 'GET' : 'POST')
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body, redirect: 'manual' }))
}

/** Status, the headers a test usually checks, and the parsed body. */
export async function read(res: Response) {
  const text = await res.text()
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {}
  rememberSecretsIn(body)
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the server sent.
  return { status: res.status, headers: res.headers, body: body as any }
}
