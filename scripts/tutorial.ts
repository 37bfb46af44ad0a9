/**
 * `npm run tutorial`: the django-oauth-toolkit DRF tutorial's curl session, run for real against a
 * server (default http://127.0.0.1:8787, i.e. `npm start`), seeded with the admin CLI. Prints each
 * command and answer; exits 1 if any status or body shape differs from what DOT 1.7 answered.
 *
 *   npm run tutorial -- [--base-url URL] [--persist-to DIR]
 */
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { 'base-url': { type: 'string', default: 'http://127.0.0.1:8787' }, 'persist-to': { type: 'string' } } })
const base = values['base-url']!
const stateArgs = values['persist-to'] ? ['--persist-to', values['persist-to']] : []
const suffix = Date.now().toString(36)
let failures = 0

function admin(...args: string[]) {
  const out = execFileSync('npx', ['tsx', 'scripts/admin.ts', '--json', ...stateArgs, ...args], { encoding: 'utf8' })
  console.log(`$ npm run admin -- ${args.join(' ')}\n${out}`)
  return JSON.parse(out)
}

/** Runs curl as the tutorial writes it and checks the status (and, if given, the body). */
function curl(args: string[], expectStatus: number, check?: (body: any) => boolean) {
  console.log(`$ curl ${args.map((a) => (/[\s&"]/.test(a) ? `'${a}'` : a)).join(' ')}`)
  const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' })
  const lines = out.split('\n')
  const status = Number(lines.pop())
  const text = lines.join('\n')
  console.log(text)
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {}
  const ok = status === expectStatus && (!check || check(body))
  if (!ok) failures++
  console.log(`${ok ? 'ok' : 'FAIL'}: ${status} (expected ${expectStatus})\n`)
  return body as any
}

const username = `alice-${suffix}`
const password = `pw-${suffix}`
admin('createsuperuser', '--username', username, '--email', 'alice@example.com', '--password', password)
admin('creategroup', `staff-${suffix}`)
const app = admin('createapp', '--name', 'tutorial', '--client-type', 'confidential', '--grant-type', 'password')
const creds = `${app.client_id}:${app.client_secret}`
const tokenShape = (scope: string) => (b: any) => typeof b?.access_token === 'string' && b.token_type === 'Bearer' && b.expires_in === 36000 && typeof b.refresh_token === 'string' && b.scope === scope

const full = curl(['-X', 'POST', '-d', `grant_type=password&username=${username}&password=${password}`, `-u${creds}`, `${base}/o/token/`], 200, tokenShape('read write groups'))
const bearer = (t: string) => ['-H', `Authorization: Bearer ${t}`]
curl([...bearer(full.access_token), `${base}/users/`], 200, (b) => Array.isArray(b) && b.every((u: any) => 'username' in u && 'email' in u))
const users = curl([...bearer(full.access_token), `${base}/users/`], 200)
const me = users.find((u: any) => u.username === username)
curl([...bearer(full.access_token), `${base}/groups/`], 200, (b) => b.some((g: any) => g.name === `staff-${suffix}`))
curl([...bearer(full.access_token), '-X', 'POST', '-d', `username=foo-${suffix}&password=bar`, `${base}/users/`], 201, (b) => b.username === `foo-${suffix}` && b.email === '')
const renewed = curl(['-X', 'POST', '-d', `grant_type=refresh_token&refresh_token=${full.refresh_token}&client_id=${app.client_id}&client_secret=${app.client_secret}`, `${base}/o/token/`], 200, tokenShape('read write groups'))
curl([...bearer(full.access_token), `${base}/users/`], 401, (b) => b.detail === 'Authentication credentials were not provided.')
curl([...bearer(renewed.access_token), `${base}/users/`], 200, () => me !== undefined)
const readOnly = curl(['-X', 'POST', '-d', `grant_type=password&username=${username}&password=${password}&scope=read`, `-u${creds}`, `${base}/o/token/`], 200, tokenShape('read'))
curl([...bearer(readOnly.access_token), `${base}/users/`], 200)
const denied = (b: any) => b.detail === 'You do not have permission to perform this action.'
curl([...bearer(readOnly.access_token), `${base}/groups/`], 403, denied) // 'groups' scope needed
curl([...bearer(readOnly.access_token), '-X', 'POST', '-d', 'username=foo&password=bar', `${base}/users/`], 403, denied) // 'write' scope needed

console.log(failures === 0 ? 'The tutorial answered as django-oauth-toolkit does.' : `${failures} step(s) differed.`)
process.exit(failures === 0 ? 0 : 1)
