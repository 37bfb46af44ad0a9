/**
 * @module `npm run bench`: serves the Worker bundle through Miniflare on seeded local D1/KV, drives
 * it with wrk, and prints each endpoint's throughput beside the storage floor it cannot avoid,
 * measured in the same run by the same runtime. Not part of `npm test`.
 *
 * Flags: --users N (1000), --seconds S (4), --warmup S (1), --connections C (32), --threads T (2),
 * --only TEXT (only the scenarios whose name contains TEXT), --dot (django-oauth-toolkit's rows
 * beside ours: bench/dot.ts), --chart FILE (the SVG chart; a full run writes docs/bench-<users>-users.svg).
 */
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { createRequire } from 'node:module'
import { progress, startBench } from './setup'
import { floors, scenarios } from './scenarios'
import { compare, type Load, measure, SLICES } from './wrk'
import { printReport, type Row } from './report'
import { writeChart } from './chart'
import { type Dot, dotMissing, dotScenarios, startDot } from './dot'

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    only: { type: 'string' },
    dot: { type: 'boolean', default: false },
    chart: { type: 'string' },
  },
})
const users = Number(flags.users)
const load: Load = {
  threads: Number(flags.threads),
  connections: Number(flags.connections),
  warmupSeconds: Number(flags.warmup),
  seconds: Number(flags.seconds),
}

const started = Date.now()
// A refresh scenario runs 1 + SLICES times; each run may strand one token per connection
// (bench/lua/refresh-chain.lua), and the last still needs one per connection.
const { served, fixtures, close } = await startBench({ users, refreshTokens: (SLICES + 1) * load.connections + 8 })
const skipped: string[] = []
let dot: Dot | undefined
if (flags.dot) {
  const missing = dotMissing()
  if (missing)
    skipped.push(
      `django-oauth-toolkit rows: skipped (${missing}; apt-get install python3-django-oauth-toolkit python3-djangorestframework gunicorn)`,
    )
  else {
    progress(`starting django-oauth-toolkit (seeding ${users} users)`)
    dot = await startDot(served.dir, users)
  }
}
try {
  const floorRequests = floors(fixtures)
  const alone = { ...load, seconds: 2 }
  progress('floor: json')
  const reference = await measure(served, floorRequests.json, alone)
  progress('floor: d1 get')
  const d1Reference = await measure(served, floorRequests['d1 get'], alone)
  // V8 keeps optimizing the app's code for several seconds of load: let that happen before any row.
  progress('warming up the app')
  const all = scenarios(fixtures, users)
  for (const name of ['GET /users/<pk>/ (bearer)', 'POST /o/token/ client_credentials']) {
    await measure(served, all.find((s) => s.name === name)!.request, { ...load, warmupSeconds: 0, seconds: 3 })
  }
  const rows: Row[] = []
  const dots = dot ? dotScenarios(dot, all) : []
  for (const scenario of all.filter((s) => !flags.only || s.name.includes(flags.only))) {
    if (scenario.skip) {
      skipped.push(`${scenario.name}: skipped (${scenario.skip})`)
      continue
    }
    progress(`${scenario.name} (floor: ${scenario.floor})`)
    rows.push({ scenario, ...(await compare(served, floorRequests[scenario.floor], scenario.request, load)) })
    // django-oauth-toolkit's row right after ours, interleaved with ours (its `floor` is our run).
    for (const other of dots.filter((d) => d.dotOf === scenario.name)) {
      progress(`${other.name} (interleaved with ours)`)
      rows.push({ scenario: other, ...(await compare(served, scenario.request, other.request, load)) })
    }
  }
  const require = createRequire(import.meta.url)
  const cpu = cpus()[0]?.model.trim()
  printReport({
    machine: `${cpus().length} cores (${cpu}), Node ${process.version}, workerd ${require('workerd/package.json').version}, miniflare ${require('miniflare/package.json').version}`,
    load,
    users,
    references: { json: reference, 'd1 get': d1Reference },
    rows,
    skipped,
    dotHashesPerSecond: dot?.fixtures.hashesPerSecond,
    seconds: (Date.now() - started) / 1000,
  })
  const chart = flags.chart ?? (flags.only ? undefined : `docs/bench-${users}-users.svg`)
  if (chart) {
    writeChart(
      chart,
      rows,
      `npm run bench${flags.dot ? ' -- --dot' : ''}, ${new Date().toISOString().slice(0, 10)}: ${users} users, req/s`,
    )
    progress(`chart written to ${chart}`)
  }
} finally {
  await dot?.stop()
  await close()
}
