/**
 * @module `npm run bench`: serves the Worker bundle through Miniflare on seeded local D1/KV, drives
 * it with wrk, and prints each endpoint's throughput beside the storage floor it cannot avoid,
 * measured in the same run by the same runtime. Not part of `npm test`.
 *
 * Flags: --users N (1000), --seconds S (5), --warmup S (1), --connections C (32), --threads T (2),
 * --only TEXT (scenarios whose name contains TEXT; the floors always run).
 */
import { rmSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRequire } from 'node:module'
import { serve } from './serve'
import { seed } from './seed'
import { basicFor, peerGrants, passwordTokens, refreshPool } from './tokens'
import { type FloorName, floors, scenarios } from './scenarios'
import { type Load, measure, type WrkResult } from './wrk'
import { printReport } from './report'

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
})
const users = Number(flags.users)
const load: Load = {
  threads: Number(flags.threads),
  connections: Number(flags.connections),
  warmupSeconds: Number(flags.warmup),
  seconds: Number(flags.seconds),
}
// Each run loses at most one refresh token per connection (the requests in flight when wrk stops):
// three connections' worth covers the warm-up and the measured run with a margin.
const REFRESH_POOL = 3 * load.connections + 4

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`)

const started = Date.now()
progress('building and starting Miniflare')
const served = await serve()
try {
  progress(`seeding ${users} users`)
  const seeded = await seed(served.mf, { users, groups: 50, apps: 20 })
  progress(`minting tokens (${REFRESH_POOL} password grants for the refresh pool)`)
  const { access_token: accessToken } = await passwordTokens(served.mf, seeded)
  const refreshPoolFile = join(served.dir, 'refresh-tokens.txt')
  writeFileSync(refreshPoolFile, (await refreshPool(served.mf, seeded, REFRESH_POOL)).join('\n'))
  const peer = await peerGrants(served.mf, REFRESH_POOL + 1)
  const peerPoolFile = join(served.dir, 'peer-refresh-tokens.txt')
  writeFileSync(peerPoolFile, peer.grants.slice(1).map((g) => g.refresh_token).join('\n'))
  const fixtures = {
    seeded,
    userPk: Math.min(users, 500),
    accessToken,
    refreshPoolFile,
    peer: { accessToken: peer.grants[0]!.access_token, basic: basicFor(peer.client), refreshPoolFile: peerPoolFile },
  }

  const floorResults = {} as Record<FloorName, WrkResult>
  const floorRequests = floors(fixtures)
  for (const name of Object.keys(floorRequests) as FloorName[]) {
    progress(`floor: ${name}`)
    floorResults[name] = await measure(served.url, floorRequests[name], load)
  }
  const rows = []
  for (const scenario of scenarios(fixtures, users).filter((s) => !flags.only || s.name.includes(flags.only))) {
    progress(scenario.name)
    rows.push({ scenario, result: await measure(served.url, scenario.request, load) })
  }
  const require = createRequire(import.meta.url)
  printReport({
    machine: `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, workerd ${require('workerd/package.json').version}, miniflare ${require('miniflare/package.json').version}`,
    load,
    users,
    floors: floorResults,
    rows,
    seconds: (Date.now() - started) / 1000,
  })
} finally {
  await served.mf.dispose()
  rmSync(served.dir, { recursive: true, force: true })
}
