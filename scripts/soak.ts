/**
 * `npm run soak -- [--seconds 60] [--concurrency 8]`: starts the Worker on a fresh local state,
 * drives it on loopback with a mix of every endpoint for a bounded time, then reports requests,
 * status counts and 5xx (must be 0), and checks that every user it created and every token it was
 * issued is accounted for: created users are listed, current tokens work, superseded ones do not.
 */
import { parseArgs } from 'node:util'
import { hashPassword } from '../src/crypto/password'
import { randomToken, sha256Hex } from '../src/crypto/token'
import { startDevServer, wranglerLocal } from './lib/dev-server'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' } },
})
const seconds = Math.min(Number(values.seconds), 3600)
const concurrency = Math.min(Number(values.concurrency), 64)

const server = await startDevServer()
const base = server.baseUrl
const password = randomToken()
const pw = { id: randomToken(24), secret: randomToken() }
const cc = { id: randomToken(24), secret: randomToken() }
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`
wranglerLocal(server.persistTo, [
  'd1',
  'execute',
  'DB',
  '--command',
  `insert into users (username, password, email) values ('soak', ${sqlString(await hashPassword(password))}, 'soak@example.com');
   insert into groups (name) values ('soakers');
   insert into applications (client_id, client_secret_hash, name, client_type, authorization_grant_type) values
     (${sqlString(pw.id)}, ${sqlString(sha256Hex(pw.secret))}, 'soak-password', 'confidential', 'password'),
     (${sqlString(cc.id)}, ${sqlString(sha256Hex(cc.secret))}, 'soak-cc', 'confidential', 'client-credentials');`,
])

const statuses: Record<string, number> = {}
let requests = 0
const basic = (c: { id: string; secret: string }) => `Basic ${btoa(`${c.id}:${c.secret}`)}`

async function send(label: string, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init })
  requests++
  const key = `${label} ${res.status}`
  statuses[key] = (statuses[key] ?? 0) + 1
  return res
}

const form = (data: Record<string, string>, auth?: string): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(auth ? { Authorization: auth } : {}) },
  body: new URLSearchParams(data).toString(),
})

/** One client's session: a token chain it refreshes, and the users it creates. */
type Session = { access: string; refresh: string; superseded: string[]; created: string[] }

async function passwordToken(): Promise<{ access_token: string; refresh_token: string }> {
  const res = await send(
    'password',
    '/o/token/',
    form({ grant_type: 'password', username: 'soak', password }, basic(pw)),
  )
  if (res.status !== 200) throw new Error(`password grant answered ${res.status}`)
  return res.json() as never
}

async function worker(deadline: number): Promise<Session> {
  const first = await passwordToken()
  const s: Session = { access: first.access_token, refresh: first.refresh_token, superseded: [], created: [] }
  const bearer = () => ({ headers: { Authorization: `Bearer ${s.access}` } })
  for (let i = 0; Date.now() < deadline; i++) {
    switch (i % 10) {
      case 0: {
        const res = await send(
          'refresh',
          '/o/token/',
          form({ grant_type: 'refresh_token', refresh_token: s.refresh }, basic(pw)),
        )
        if (res.status === 200) {
          const next = (await res.json()) as { access_token: string; refresh_token: string }
          s.superseded.push(s.access)
          Object.assign(s, { access: next.access_token, refresh: next.refresh_token })
        }
        break
      }
      case 1: {
        const username = `soak-${randomToken(9).replace(/[^A-Za-z0-9]/g, 'x')}`
        const res = await send('create user', '/users/', {
          ...form({ username }),
          headers: { ...bearer().headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        })
        if (res.status === 201) s.created.push(username)
        break
      }
      case 2:
        await send(
          'client_credentials',
          '/o/token/',
          form({ grant_type: 'client_credentials', scope: 'read' }, basic(cc)),
        )
        break
      case 3:
        await send('bad token', '/users/', { headers: { Authorization: 'Bearer not-a-token' } })
        break
      case 4:
        await send('groups', '/groups/', bearer())
        break
      case 5:
        await send('user detail', '/users/1/', bearer())
        break
      case 6:
        await send('introspect', '/o/introspect/', form({ token: s.access }, basic(cc)))
        break
      case 7:
        await send('revoke unknown', '/o/revoke_token/', form({ token: 'unknown-token' }, basic(pw)))
        break
      case 8:
        await send('discovery', '/.well-known/oauth-authorization-server')
        break
      default:
        await send('users list', '/users/', bearer())
    }
  }
  return s
}

let failures = 0
const check = (ok: boolean, what: string) => {
  if (!ok) failures++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
}

try {
  const started = Date.now()
  const sessions = await Promise.all(Array.from({ length: concurrency }, () => worker(started + seconds * 1000)))
  const elapsed = (Date.now() - started) / 1000

  // Accounting: every created user is listed; every current token works; every superseded one does not.
  const listing = (await (
    await fetch(`${base}/users/`, { headers: { Authorization: `Bearer ${sessions[0]!.access}` } })
  ).json()) as Array<{ username: string }>
  const listed = new Set(listing.map((u) => u.username))
  const created = sessions.flatMap((s) => s.created)
  const statusOf = async (token: string) =>
    (await fetch(`${base}/users/1/`, { headers: { Authorization: `Bearer ${token}` } })).status
  const current = await Promise.all(sessions.map((s) => statusOf(s.access)))
  const superseded = sessions.flatMap((s) => s.superseded)
  const stale = await Promise.all(superseded.slice(-200).map(statusOf))

  const fiveHundreds = Object.entries(statuses)
    .filter(([k]) => / 5\d\d$/.test(k))
    .reduce((n, [, v]) => n + v, 0)
  console.log(
    `\nsoak: ${requests} requests in ${elapsed.toFixed(1)} s (${(requests / elapsed).toFixed(0)}/s), concurrency ${concurrency}`,
  )
  for (const [k, v] of Object.entries(statuses).sort()) console.log(`  ${k.padEnd(28)} ${v}`)
  check(fiveHundreds === 0, `5xx responses: ${fiveHundreds}`)
  check(
    created.every((u) => listed.has(u)),
    `created users listed: ${created.filter((u) => listed.has(u)).length}/${created.length}`,
  )
  check(
    current.every((s) => s === 200),
    `current access tokens working: ${current.filter((s) => s === 200).length}/${current.length}`,
  )
  check(
    stale.every((s) => s === 401),
    `superseded access tokens refused: ${stale.filter((s) => s === 401).length}/${stale.length} (of ${superseded.length})`,
  )
} finally {
  server.stop()
}
process.exit(failures === 0 ? 0 : 1)
