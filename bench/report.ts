/** @module The bench's printed report: floors, scenarios with their ratio to a floor, the peer, the targets. */
import type { FloorName, Scenario } from './scenarios'
import type { Load, WrkResult } from './wrk'

export type Report = {
  machine: string
  load: Load
  users: number
  floors: Record<FloorName, WrkResult>
  rows: Array<{ scenario: Scenario; result: WrkResult }>
  seconds: number
}

const fixed = (n: number, digits = 0) => n.toFixed(digits)
const ms = (n: number) => (n >= 100 ? fixed(n) : n >= 10 ? fixed(n, 1) : fixed(n, 2))
const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`
const bad = (r: WrkResult) => r.unexpected + r.socketErrors

/** The targets from issue 6, each as a ratio measured in this run. */
function targets(report: Report): string[] {
  const find = (prefix: string) => report.rows.find((r) => r.scenario.name.startsWith(prefix))?.result
  const out: string[] = []
  const check = (label: string, result: WrkResult | undefined, floor: FloorName, min: number) => {
    if (!result) return
    const ratio = result.rps / report.floors[floor].rps
    out.push(`- ${label}: ${fixed(ratio, 2)} of "${floor}" (target ≥ ${min}) ${ratio >= min ? 'met' : 'MISSED'}`)
  }
  check('bearer-protected read, GET /users/<pk>/', find('GET /users/<pk>/ (bearer)'), 'kv get + d1 get', 0.8)
  check('client_credentials', find('POST /o/token/ client_credentials'), 'd1 get + kv put', 0.6)
  const password = find('POST /o/token/ password')
  if (password) {
    // Both are CPU-bound on the same isolate: time per request is 1 / throughput.
    const share = report.floors['verify password'].rps / password.rps
    out.push(`- password grant: one password hash is ${fixed(100 / share)}% of its time per request`)
  }
  for (const { scenario, result } of report.rows) {
    const ours = scenario.peerOf && find(scenario.peerOf)
    if (ours) out.push(`- ${scenario.peerOf} vs the peer: ${fixed(ours.rps / result.rps, 2)}× its throughput (target ≥ 1)`)
  }
  return out
}

export function printReport(report: Report) {
  const { load } = report
  const out = [
    `edge-oauth-toolkit bench: ${report.users} users, wrk -t${load.threads} -c${load.connections}, ${load.warmupSeconds} s warm-up + ${load.seconds} s measured per row`,
    report.machine,
    '',
    line(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'floor', 'floor req/s', 'ratio']),
    line(['---', '---:', '---:', '---:', '---:', '---', '---:', '---:']),
  ]
  for (const [name, r] of Object.entries(report.floors)) {
    out.push(line([`floor: ${name}`, fixed(r.rps), ms(r.p50Ms), ms(r.p99Ms), bad(r), '', '', '']))
  }
  for (const { scenario, result: r } of report.rows) {
    const floor = report.floors[scenario.floor]
    out.push(line([scenario.name, fixed(r.rps), ms(r.p50Ms), ms(r.p99Ms), bad(r), scenario.floor, fixed(floor.rps), fixed(r.rps / floor.rps, 2)]))
  }
  out.push('', ...targets(report), '', `(${fixed(report.seconds)} s in all)`)
  console.log(out.join('\n'))
}
