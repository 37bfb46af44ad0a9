/**
 * @module `npm run bench -- --dot`: django-oauth-toolkit's DRF tutorial project (bench/dot/), from
 * Debian's packages (python3-django-oauth-toolkit, python3-djangorestframework, gunicorn), under
 * gunicorn with 2 workers on its own SQLite, measured interleaved with our same endpoint.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { basic } from './tokens'
import type { Scenario } from './scenarios'
import type { WrkRequest } from './wrk'

const DOT_DIR = join(import.meta.dirname, 'dot')
// Debian's interpreter and gunicorn, where the packages install (overridable, e.g. for a virtualenv).
const PYTHON = process.env.DOT_PYTHON ?? '/usr/bin/python3'
const GUNICORN = process.env.DOT_GUNICORN ?? '/usr/bin/gunicorn'
const PORT = 8799

export type Dot = {
  base: string
  fixtures: {
    userPk: number
    username: string
    password: string
    accessToken: string
    clients: Record<'password' | 'credentials', { clientId: string; secret: string }>
    hashesPerSecond: number
  }
  stop: () => Promise<void>
}

/** Why the DOT rows cannot run here, or null when they can. */
export function dotMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`
  try {
    execFileSync(PYTHON, ['-c', 'import django, oauth2_provider, rest_framework'], { stdio: 'ignore' })
  } catch {
    return `${PYTHON} cannot import django, oauth2_provider and rest_framework`
  }
  if (!existsSync(GUNICORN)) return `${GUNICORN} not found`
  return null
}

/** Seeds the tutorial project's SQLite in `dir` and serves it with gunicorn (2 workers). */
export async function startDot(dir: string, users: number): Promise<Dot> {
  const env = { ...process.env, DOT_BENCH_DB: join(dir, 'dot.sqlite3'), PYTHONDONTWRITEBYTECODE: '1' }
  const out = execFileSync(PYTHON, ['seed.py', String(users)], { cwd: DOT_DIR, env, maxBuffer: 1 << 20 })
  const fixtures = JSON.parse(out.toString().trim().split('\n').pop()!) as Dot['fixtures']
  const args = ['-w', '2', '-b', `127.0.0.1:${PORT}`, '--log-level', 'warning', 'tutorial.wsgi']
  const server: ChildProcess = spawn(GUNICORN, args, { cwd: DOT_DIR, env, stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${PORT}`
  const stop = async () => {
    server.kill('SIGTERM')
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)))
  }
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/groups/`)).status === 401) return { base, fixtures, stop }
    } catch {}
    await sleep(100)
  }
  await stop()
  throw new Error('gunicorn did not answer within 10 s')
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }

/** DOT's side of our rows, each named for ours (`dotOf`), with the same load options. */
export function dotScenarios(dot: Dot, ours: Scenario[]): Scenario[] {
  const f = dot.fixtures
  const at = (path: string, more: Partial<WrkRequest>): WrkRequest => ({
    host: '127.0.0.1',
    base: dot.base,
    path,
    ...more,
  })
  const bearer = { Authorization: `Bearer ${f.accessToken}` }
  const same = (name: string) => ours.find((s) => s.name === name)
  const usersRead = at(`/users/${f.userPk}/`, { headers: bearer })
  const rows: Array<[string, WrkRequest]> = [
    ['GET /users/<pk>/ (bearer)', usersRead],
    // The same read of django-oauth-toolkit's, beside ours with a JWT access token (no KV read).
    ['GET /users/<pk>/ (JWT bearer)', usersRead],
    ['GET /groups/ (bearer, 50 groups)', at('/groups/', { headers: bearer })],
    [
      'POST /o/token/ client_credentials',
      at('/o/token/', {
        method: 'POST',
        headers: { ...FORM, Authorization: basic(f.clients.credentials.clientId, f.clients.credentials.secret) },
        body: 'grant_type=client_credentials',
      }),
    ],
    [
      'POST /o/token/ password',
      at('/o/token/', {
        method: 'POST',
        headers: { ...FORM, Authorization: basic(f.clients.password.clientId, f.clients.password.secret) },
        body: new URLSearchParams({
          grant_type: 'password',
          username: f.username,
          password: f.password,
          scope: 'read',
        }).toString(),
      }),
    ],
  ]
  return rows.flatMap(([name, request]) => {
    const mine = same(name)
    if (!mine) return []
    // The same connections and slice length as our row (the password grant's few, long slices).
    const load = { connections: mine.request.connections, seconds: mine.request.seconds }
    return [{ name: `dot: ${name}`, floor: mine.floor, dotOf: name, request: { ...request, ...load } }]
  })
}
