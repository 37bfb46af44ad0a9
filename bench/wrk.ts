/** @module Runs wrk (Debian's /usr/bin/wrk) with one of bench/lua's scripts and reads its result line. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Served } from './serve'

const LUA_DIR = join(import.meta.dirname, 'lua')

export type Load = { threads: number; connections: number; warmupSeconds: number; seconds: number }

export type WrkRequest = {
  path: string
  /** The Host header: it picks the worker (bench/serve.ts). */
  host: string
  /** A server other than Miniflare's (django-oauth-toolkit under gunicorn: bench/dot.ts). */
  base?: string
  method?: string
  body?: string
  headers?: Record<string, string>
  /** The status every response should have; others are counted as unexpected. */
  expect?: number
  /** A script in bench/lua other than static.lua, and the environment it reads. */
  script?: string
  env?: Record<string, string>
  /**
   * Connections for a request that takes much CPU (a password hash, a list of 100,000 users):
   * fewer, so the run measures its throughput without queueing seconds of work into the next row.
   */
  connections?: number
  /** Seconds per measured slice, for a request that takes seconds or one with few requests per second. */
  seconds?: number
}

export type WrkResult = {
  rps: number
  p50Ms: number
  p99Ms: number
  requests: number
  seconds: number
  unexpected: number
  socketErrors: number
}

function runOnce(base: URL, req: WrkRequest, load: Load, seconds: number): Promise<WrkResult> {
  const connections = req.connections ?? load.connections
  const args = [
    `-t${load.threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '30s',
    '-s',
    join(LUA_DIR, req.script ?? 'static.lua'),
  ]
  for (const [k, v] of Object.entries({ Host: req.host, ...req.headers })) args.push('-H', `${k}: ${v}`)
  args.push(new URL(req.path, req.base ?? base).href)
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
        seconds: r.duration_us! / 1e6,
        p50Ms: r.p50_us! / 1000,
        p99Ms: r.p99_us! / 1000,
        requests: r.requests!,
        unexpected: r.unexpected!,
        socketErrors: r.socket_errors!,
      })
    })
  })
}

/**
 * Waits until the requests wrk left in flight are done: the Worker keeps serving them after wrk
 * disconnects, and their work must not be charged to the next run. A probe to the same worker
 * waits behind that work; once two probes in a row answer quickly, the worker is idle.
 */
async function settle(served: Served, host: string) {
  const deadline = Date.now() + 60_000
  for (let quick = 0; quick < 2 && Date.now() < deadline; ) {
    const started = Date.now()
    // A path every worker answers with a quick 404.
    await (await served.mf.dispatchFetch(`http://${host}/bench-settle/`)).arrayBuffer()
    quick = Date.now() - started < 50 ? quick + 1 : 0
  }
  await sleep(100)
}

async function run(served: Served, req: WrkRequest, load: Load, seconds: number): Promise<WrkResult> {
  const result = await runOnce(served.url, req, load, seconds)
  // Gunicorn's workers drop what wrk left in flight with the connection; Miniflare's keep serving it.
  if (req.base) await sleep(300)
  else await settle(served, req.host)
  return result
}

/** Measured runs as one: requests over total time; latency percentiles averaged; errors summed. */
function pool(runs: WrkResult[]): WrkResult {
  const sum = (f: (r: WrkResult) => number) => runs.reduce((total, r) => total + f(r), 0)
  return {
    rps: sum((r) => r.requests) / sum((r) => r.seconds),
    seconds: sum((r) => r.seconds),
    p50Ms: sum((r) => r.p50Ms) / runs.length,
    p99Ms: sum((r) => r.p99Ms) / runs.length,
    requests: sum((r) => r.requests),
    unexpected: sum((r) => r.unexpected),
    socketErrors: sum((r) => r.socketErrors),
  }
}

/** How many slices each side of a comparison is measured in. */
export const SLICES = 4

/** One request measured alone: a warm-up run (discarded), then the measured run. */
export async function measure(served: Served, req: WrkRequest, load: Load): Promise<WrkResult> {
  if (load.warmupSeconds > 0) await run(served, req, load, load.warmupSeconds)
  return run(served, req, load, load.seconds)
}

/**
 * A scenario and its floor, each measured in SLICES runs interleaved as floor, scenario,
 * scenario, floor, floor, scenario, scenario, floor (after a warm-up of each), so that a change
 * in the machine's speed during the row weighs on both alike: back-to-back 2 s runs of one
 * request vary by up to ±25% on this shared 2-core machine.
 */
export async function compare(served: Served, floorReq: WrkRequest, scenarioReq: WrkRequest, load: Load) {
  const slice = (req: WrkRequest) => req.seconds ?? Math.max(1, Math.round(load.seconds / SLICES))
  if (load.warmupSeconds > 0) {
    await run(served, floorReq, load, load.warmupSeconds)
    await run(served, scenarioReq, load, load.warmupSeconds)
  }
  const floors: WrkResult[] = []
  const results: WrkResult[] = []
  for (let i = 0; i < SLICES; i++) {
    const floorFirst = i % 2 === 0
    for (const req of floorFirst ? [floorReq, scenarioReq] : [scenarioReq, floorReq]) {
      const r = await run(served, req, load, slice(req))
      ;(req === floorReq ? floors : results).push(r)
    }
  }
  return { floor: pool(floors), result: pool(results) }
}
