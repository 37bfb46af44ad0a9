/**
 * A browser for tests inside workerd: keeps cookies, sends forms, never follows redirects by itself,
 * and reads forms off the HTML pages the way a person's browser would submit them.
 */
import { exports } from 'cloudflare:workers'
import { ORIGIN } from './http'
import { PASSWORD } from './seed'
import { rememberSecret } from './secrets'

export type Page = { status: number; headers: Headers; html: string; location: string | null }

type RequestOptions = {
  method?: string
  form?: Record<string, string> | URLSearchParams
  headers?: Record<string, string>
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

const attribute = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)
  return m ? decode(m[1]!) : null
}

export type Form = {
  action: string
  method: string
  fields: Record<string, string>
  /** Every input's name and value in page order, a repeated name (`resource`) once per input. */
  inputs: [string, string][]
  submits: string[]
}

/** Every form of a page: its action, method, the inputs' values (hidden and filled) and its submit buttons' names. */
export function formsOf(html: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attrs, body]) => {
    const fields: Record<string, string> = {}
    const inputs: [string, string][] = []
    for (const [tag] of body!.matchAll(/<input\b[^>]*>/g)) {
      const name = attribute(tag, 'name')
      const type = attribute(tag, 'type')
      if (!name || (type === 'checkbox' && !/\schecked[\s=>/]/.test(tag))) continue
      fields[name] = attribute(tag, 'value') ?? (type === 'checkbox' ? 'on' : '')
      inputs.push([name, fields[name]])
    }
    for (const [, , name, text] of body!.matchAll(/<textarea\b([^>]*)name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g))
      fields[decode(name!)] = decode(text!)
    for (const [, name, options] of body!.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
      const selected =
        /<option\b[^>]*value="([^"]*)"[^>]*\sselected/.exec(options!) ?? /<option\b[^>]*value="([^"]*)"/.exec(options!)
      if (selected) fields[decode(name!)] = decode(selected[1]!)
    }
    const submits = [...body!.matchAll(/<button\b[^>]*>/g)]
      .map(([tag]) => attribute(tag, 'name'))
      .filter((n): n is string => !!n)
    return {
      action: attribute(`<form${attrs}`, 'action') ?? '',
      method: (attribute(`<form${attrs}`, 'method') ?? 'get').toUpperCase(),
      fields,
      inputs,
      submits,
    }
  })
}

/** The form that posts to `action`; throws when the page has none. */
export function formFor(html: string, action: string): Form {
  const form = formsOf(html).find((f) => f.action === action)
  if (!form) throw new Error(`no form posting to ${action} on the page:\n${html.slice(0, 2000)}`)
  return form
}

/** The page's visible text, tags stripped and whitespace collapsed, for assertions on wording. */
export const textOf = (html: string) =>
  decode(html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()

/** The text of the page's `role="alert"` box (a form's error), or '' when it has none. */
export const alertOf = (html: string) =>
  textOf(/<div\b[^>]*\brole="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '')

export class Browser {
  readonly cookies = new Map<string, string>()

  /** `headers` go with every request (e.g. a CF-Connecting-IP). */
  constructor(readonly headers: Record<string, string> = {}) {}

  async request(path: string, opts: RequestOptions = {}): Promise<Page> {
    const headers = new Headers({ ...this.headers, ...opts.headers })
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    let body: string | undefined
    if (opts.form) {
      headers.set('Content-Type', 'application/x-www-form-urlencoded')
      body = new URLSearchParams(opts.form).toString()
    }
    const url = path.startsWith('http') ? path : `${ORIGIN}${path}`
    const res = await exports.default.fetch(
      new Request(url, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' }),
    )
    for (const cookie of res.headers.getAll('Set-Cookie')) this.store(cookie)
    const location = res.headers.get('Location')
    rememberSecret(location ? new URL(location, ORIGIN).searchParams.get('code') : null)
    return { status: res.status, headers: res.headers, html: await res.text(), location }
  }

  private store(setCookie: string) {
    const [pair, ...attrs] = setCookie.split(';')
    const [name, value = ''] = pair!.split('=')
    const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === ''
    if (expired) this.cookies.delete(name!.trim())
    else this.cookies.set(name!.trim(), value.trim())
    rememberSecret(value.trim())
  }

  get = (path: string, headers?: Record<string, string>) => this.request(path, { headers })
  post = (path: string, form: Record<string, string> | URLSearchParams, headers?: Record<string, string>) =>
    this.request(path, { method: 'POST', form, headers })

  /**
   * Submits the form of `page` that posts to `action`, with `changes` applied to its fields (null
   * removes one); a field the page repeats and `changes` leaves alone is posted once per input.
   */
  submit(page: Page, action: string, changes: Record<string, string | null> = {}) {
    const form = formFor(page.html, action)
    const fields = { ...form.fields }
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete fields[name]
      else fields[name] = value
    }
    const body = new URLSearchParams()
    for (const [name, value] of Object.entries(fields)) {
      const repeated = form.inputs.filter(([n]) => n === name).map(([, v]) => v)
      for (const v of name in changes || repeated.length < 2 ? [value] : repeated) body.append(name, v)
    }
    return this.post(action, body)
  }

  /** Signs in through the sign-in page; returns the answer to the form POST. */
  async signIn(username: string, password = PASSWORD, next?: string) {
    const page = await this.get(next ? `/accounts/login/?next=${encodeURIComponent(next)}` : '/accounts/login/')
    return this.submit(page, '/accounts/login/', { username, password })
  }
}
