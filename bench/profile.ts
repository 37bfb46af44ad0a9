/**
 * @module `npm run bench:profile -- <scenario text> [--seconds S]`: a CPU profile of the app's
 * isolate under one scenario's load, taken through workerd's inspector (Chrome DevTools protocol),
 * printed as the functions and the source files with the most self time. How the bench's misses
 * are found: see docs/performance.md.
 */
import { parseArgs } from 'node:util'
import { progress, startBench } from './setup'
import { scenarios } from './scenarios'
import { measure } from './wrk'

type ProfileNode = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    worker: { type: 'string', default: 'app' },
    top: { type: 'string', default: '25' },
  },
})
const INSPECTOR_PORT = 9431

/** A minimal DevTools protocol client over the WebSocket workerd's inspector serves per worker. */
async function connect(worker: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${INSPECTOR_PORT}/core:user:${worker}`)
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve)
    ws.addEventListener('error', reject)
  })
  let next = 1
  const pending = new Map<number, (result: unknown) => void>()
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result)
  })
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = next++
      pending.set(id, resolve as (r: unknown) => void)
      ws.send(JSON.stringify({ id, method, params }))
    })
  return { send, close: () => ws.close() }
}

/** Self time per key, in ms, from the sampled profile. */
function selfTimes(profile: Profile, key: (n: ProfileNode) => string) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const k = key(byId.get(id)!)
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  const all = [...totals.values()].reduce((a, b) => a + b, 0)
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${((100 * ms) / all).toFixed(1).padStart(5)}%  ${k}`)
}

const wanted = positionals[0] ?? ''
const bench = await startBench({ users: 1000, refreshTokens: 48, inspectorPort: INSPECTOR_PORT })
try {
  const scenario = scenarios(bench.fixtures, 1000).find((s) => s.name.includes(wanted))
  if (!scenario) throw new Error(`no scenario matches ${JSON.stringify(wanted)}`)
  const inspector = await connect(flags.worker)
  await inspector.send('Profiler.enable')
  await inspector.send('Profiler.setSamplingInterval', { interval: 100 })
  await inspector.send('Profiler.start')
  progress(`profiling ${scenario.name}`)
  const result = await measure(bench.served, scenario.request, {
    threads: 2,
    connections: 32,
    warmupSeconds: 0,
    seconds: Number(flags.seconds),
  })
  const { profile } = await inspector.send<{ profile: Profile }>('Profiler.stop')
  inspector.close()
  const top = Number(flags.top)
  const where = (n: ProfileNode) => `${n.callFrame.url.split('/').slice(-2).join('/') || '(native)'}`
  console.log(`${scenario.name}: ${result.rps.toFixed(0)} req/s while profiled\n\nself time by function:`)
  console.log(
    selfTimes(profile, (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`)
      .slice(0, top)
      .join('\n'),
  )
  console.log('\nself time by file:')
  console.log(selfTimes(profile, where).slice(0, 10).join('\n'))
} finally {
  await bench.close()
}
