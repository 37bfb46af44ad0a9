/** @module Runs wrk (Debian's /usr/bin/wrk) with one of bench/lua's scripts and reads its result line. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const LUA_DIR = join(import.meta.dirname, 'lua')

export type Load = { threads: number; connections: number; warmupSeconds: number; seconds: number }

export type WrkRequest = {
  path: string
  /** The Host header: it picks the worker (bench/serve.ts). */
  host: string
  method?: string
  body?: string
  headers?: Record<string, string>
  /** The status every response should have; others are counted as unexpected. */
  expect?: number
  /** A script in bench/lua other than static.lua, and the environment it reads. */
  script?: string
  env?: Record<string, string>
}

export type WrkResult = { rps: number; p50Ms: number; p99Ms: number; requests: number; unexpected: number; socketErrors: number }

function runOnce(base: URL, req: WrkRequest, load: Load, seconds: number): Promise<WrkResult> {
  const args = [`-t${load.threads}`, `-c${load.connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', join(LUA_DIR, req.script ?? 'static.lua')]
  for (const [k, v] of Object.entries({ Host: req.host, ...req.headers })) args.push('-H', `${k}: ${v}`)
  args.push(new URL(req.path, base).href)
  const env = {
    ...process.env,
    BENCH_LUA_DIR: LUA_DIR,
    BENCH_METHOD: req.method ?? 'GET',
    BENCH_BODY: req.body ?? '',
    BENCH_EXPECT: String(req.expect ?? 200),
    BENCH_THREADS: String(load.threads),
    ...req.env,
  }
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const line = /^BENCH (\{.*\})$/m.exec(out)?.[1]
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}):\n${out}`))
      const r = JSON.parse(line) as Record<string, number>
      resolve({
        rps: r.requests! / (r.duration_us! / 1e6),
        p50Ms: r.p50_us! / 1000,
        p99Ms: r.p99_us! / 1000,
        requests: r.requests!,
        unexpected: r.unexpected!,
        socketErrors: r.socket_errors!,
      })
    })
  })
}

/** A warm-up run (its result discarded), then the measured run. */
export async function measure(base: URL, req: WrkRequest, load: Load): Promise<WrkResult> {
  if (load.warmupSeconds > 0) await runOnce(base, req, load, load.warmupSeconds)
  return runOnce(base, req, load, load.seconds)
}
