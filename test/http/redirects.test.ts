// Redirects the server builds from request data stay on this origin (issue 9 item 2; the class of
// CVE-2018-14574): the trailing-slash redirect, safeNext, and every sign-in redirect carrying `next`.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { safeNext } from '../../src/web/next-url'
import { appendSlashLocation } from '../../src/http/same-origin'
import { Browser, formFor } from '../helpers/browser'
import { REDIRECT } from '../helpers/grants'
import { call, ORIGIN, read } from '../helpers/http'
import { createApplication } from '../helpers/seed'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const NOT_FOUND = { detail: 'Not found.' }

/** Where a browser on `page` goes for `location`: it must be this origin, by a path with one leading "/". */
function expectSameOrigin(location: string | null, page = `${ORIGIN}/`) {
  expect(location).not.toBeNull()
  expect(location).toMatch(/^\/(?![/\\])/)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach a Location.
  expect(location).not.toMatch(/[\u0000-\u0020\u007f]/)
  expect(new URL(location!, page).origin).toBe(ORIGIN)
}

// Paths that resolve, one way or another, to `//evil.example` or a host-like first segment.
const HOSTILE_PATHS = [
  '//evil.example',
  '///evil.example',
  '////evil.example/x',
  '/\\evil.example',
  '/\\\\evil.example',
  '/\\/evil.example',
  '/%2Fevil.example',
  '/%2fevil.example',
  '/%2F%2Fevil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '/.//evil.example',
  '/a/..//evil.example',
  '/users/..//evil.example',
  '/%2e%2e//evil.example',
  '/%2E/%2E%2E//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/ /evil.example',
  '/%09/evil.example',
  '//evil.example?x=1',
  '//evil.example/users',
  '/.%2F/evil.example',
  '/@evil.example',
] as const

describe('the trailing-slash redirect (Django’s APPEND_SLASH)', () => {
  // GET //evil.example answered 301 Location: //evil.example/ on main.
  it.each(HOSTILE_PATHS.flatMap((path) => METHODS.map((method) => [method, path] as const)))(
    '%s %j → 404 {"detail": "Not found."}, no Location',
    async (method, path) => {
      const res = await read(await call(path, { method }))
      expect(res.status).toBe(404)
      expect(res.headers.get('location')).toBeNull()
      expect(res.body).toEqual(method === 'HEAD' ? null : NOT_FOUND)
    },
  )

  it.each([
    ['/users', '/users/'],
    ['/users/5?x=1', '/users/5/?x=1'],
    ['/accounts/login?next=//evil.example/', '/accounts/login/?next=//evil.example/'],
    ['/./users', '/users/'],
    ['/a/../users', '/users/'],
    ['/o/token', '/o/token/'],
    ['/o/userinfo', '/o/userinfo/'],
    ['/.well-known/x', '/.well-known/x/'],
  ])('%j → the slash form %j: 301 for GET and HEAD, 308 for the other methods', async (path, location) => {
    for (const method of METHODS) {
      const res = await call(path, { method })
      expect(res.status).toBe(method === 'GET' || method === 'HEAD' ? 301 : 308)
      expect(res.headers.get('location')).toBe(location)
      expectSameOrigin(res.headers.get('location'), `${ORIGIN}${path}`)
    }
  })

  const piece = fc.constantFrom(
    '/',
    '//',
    '\\',
    '.',
    '..',
    '%2F',
    '%2f',
    '%5C',
    '%5c',
    '%2e',
    '%2E',
    '\t',
    '\n',
    ' ',
    '@',
    ':',
    'evil.example',
    'users',
    'a',
    '?',
    '#',
    '%',
    '~',
    '-',
    '_',
    '\u00e9',
    '\uff0f',
  )
  const hostilePath = fc.array(piece, { maxLength: 8 }).map((pieces) => `/${pieces.join('')}`)

  it('any path built from dangerous pieces: the slash form, if any, stays on this origin', () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        const location = appendSlashLocation(new URL(`${ORIGIN}${path}`))
        if (location !== null) expectSameOrigin(location, `${ORIGIN}${path}`)
      }),
      { numRuns: 5000, seed: 20261203 },
    )
  })

  it('the same through HTTP, any method: a redirect, if any, stays on this origin', async () => {
    await fc.assert(
      fc.asyncProperty(hostilePath, fc.constantFrom(...METHODS), async (path, method) => {
        const res = await call(path, { method })
        await res.body?.cancel()
        expect(res.status).toBeLessThan(500)
        if (res.status >= 300 && res.status < 400) expectSameOrigin(res.headers.get('location'), `${ORIGIN}${path}`)
      }),
      { numRuns: 150, seed: 20261203 },
    )
  }, 60_000)
})

// Pieces that confuse URL parsers, joined at random.
const DANGEROUS = [
  '/',
  '//',
  '\\',
  '.',
  '..',
  '/./',
  '/../',
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  '%2e',
  '%2E',
  '%2e%2e',
  '%00',
  '%09',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u000b',
  '\u007f',
  '\u00a0',
  '\u3000',
  '\uff0f',
  '\uff3c',
  '\u3002',
  '\u2028',
  'evil.example',
  'a',
  '@',
  ':',
  'https:',
  'javascript:',
  '?',
  '#',
  '&',
  '=',
  '%',
  '~',
  'é',
]

describe('safeNext', () => {
  it('returns a same-origin path, with one leading "/", and is idempotent', () => {
    const input = fc.oneof(
      fc.array(fc.constantFrom(...DANGEROUS), { maxLength: 12 }).map((p) => p.join('')),
      fc
        .tuple(fc.constantFrom(...DANGEROUS), fc.string({ maxLength: 20 }), fc.constantFrom(...DANGEROUS))
        .map((p) => p.join('')),
      fc.string({ unit: 'binary', maxLength: 30 }),
      // Near the length limit, where percent-encoding lengthens the result past it.
      fc
        .tuple(fc.constantFrom(4000, 4090, 4096), fc.constantFrom(' ', 'é', '"', 'a'))
        .map(([n, c]) => `/a?${c.repeat(n - 3)}`),
    )
    fc.assert(
      fc.property(input, (next) => {
        const out = safeNext(next)
        expectSameOrigin(out)
        expect(new URL(out, 'https://a.example').origin).toBe('https://a.example')
        expect(new URL(out, 'https://a.example/accounts/login/?next=x').origin).toBe('https://a.example')
        expect(safeNext(out)).toBe(out)
      }),
      { numRuns: 5000, seed: 20261203 },
    )
  })

  it.each([
    ['/.//evil.example', '/'],
    ['/a/..//evil.example', '/'],
    ['/%2e%2e//evil.example', '/'],
    ['/%2e/%2e%2e//evil.example/', '/'],
    ['/./users/', '/users/'],
    ['/o/applications/./../', '/o/'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/%5Cevil.example', '/%5Cevil.example'],
    ['/a?b=\\', '/a?b=\\'],
    ['/a b', '/'],
  ])('%j → %j', (next, expected) => {
    expect(safeNext(next)).toBe(expected)
  })
})

/** The `next` the sign-in page offers after this redirect to it, and the Location itself. */
async function followToSignIn(res: Response) {
  expect([302, 303]).toContain(res.status)
  const location = res.headers.get('location')
  expectSameOrigin(location)
  expect(location).toMatch(/^\/accounts\/login\/\?next=/)
  const next = new URL(location!, ORIGIN).searchParams.get('next')!
  const page = await new Browser().get(location!)
  expect(formFor(page.html, '/accounts/login/').fields.next).toBe(next)
  return next
}

describe('every redirect to sign-in carries a same-origin next', () => {
  it.each([
    '/o/applications/?x=//evil.example',
    '/o/applications/register/?next=https://evil.example/',
    '/o/applications/1/?a=%2F%2Fevil.example&b=\\',
    '/o/authorized_tokens/?.//evil.example',
  ])('requireLogin: GET and POST %j', async (path) => {
    expect(await followToSignIn(await call(path))).toBe(new URL(path, ORIGIN).pathname + new URL(path, ORIGIN).search)
    expect(await followToSignIn(await call(path, { method: 'POST', form: { x: '1' } }))).toBe(
      new URL(path, ORIGIN).pathname,
    )
  })

  it('/o/authorize/ for an anonymous browser, and the consent POST after the session ended', async () => {
    const app = await createApplication({ authorizationGrantType: 'authorization-code', redirectUris: REDIRECT })
    const params = {
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      state: '//evil.example',
      prompt: 'login',
    }
    const next = await followToSignIn(await call(`/o/authorize/?${new URLSearchParams(params)}`))
    expect(next.startsWith('/o/authorize/?')).toBe(true)
    expect(new URL(next, ORIGIN).searchParams.get('state')).toBe('//evil.example')
    const afterConsent = await followToSignIn(
      await call('/o/authorize/', { form: { ...params, allow: 'Authorize', csrfmiddlewaretoken: 'x' } }),
    )
    expect(afterConsent.startsWith('/o/authorize/?')).toBe(true)
  })
})
