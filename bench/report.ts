/** @module The bench's printed report: each scenario beside the floor measured just before it, the peer, the targets. */
import type { Scenario } from './scenarios'
import { type Load, SLICES, type WrkResult } from './wrk'

export type Row = { scenario: Scenario; result: WrkResult; floor: WrkResult }

export type Report = {
  machine: string
  load: Load
  users: number
  /** Floors measured alone at the start, for scale. */
  references: Record<'json' | 'd1 get', WrkResult>
  rows: Row[]
  /** Rows that could not run here, each with why (printed as lines, not table rows). */
  skipped: string[]
  /** django-oauth-toolkit's password check alone (Django's PBKDF2), per second on one core. */
  dotHashesPerSecond?: number
  seconds: number
}

const fixed = (n: number, digits = 0) => n.toFixed(digits)
const ms = (n: number) => (n >= 100 ? fixed(n) : n >= 10 ? fixed(n, 1) : fixed(n, 2))
const rps = (r: WrkResult) => (r.rps >= 10 ? fixed(r.rps) : fixed(r.rps, 1))
const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`
/** Unexpected statuses, and any socket errors (connect, read, write, timeout) beside them. */
const unexpected = (r: WrkResult) => `${r.unexpected}${r.socketErrors ? ` (+${r.socketErrors} socket)` : ''}`

/** The targets from issues 6 and 14, each as a ratio measured in this run. */
function targets(rows: Row[], dotHashesPerSecond?: number): string[] {
  const find = (name: string) => rows.find((r) => r.scenario.name.startsWith(name))
  const out: string[] = []
  const check = (label: string, name: string, min: number) => {
    const row = find(name)
    if (!row) return
    const ratio = row.result.rps / row.floor.rps
    out.push(
      `- ${label}: ${fixed(ratio, 2)} of "${row.scenario.floor}" (target ≥ ${min}) ${ratio >= min ? 'met' : 'MISSED'}`,
    )
  }
  check('bearer-protected read, GET /users/<pk>/', 'GET /users/<pk>/ (bearer)', 0.8)
  check('client_credentials', 'POST /o/token/ client_credentials', 0.6)
  check('refresh, POST /o/token/ refresh_token', 'POST /o/token/ refresh_token', 0.8)
  const password = find('POST /o/token/ password')
  if (password) {
    // Both are CPU-bound on the same isolate, so time per request is 1 / throughput.
    const share = password.result.rps / password.floor.rps
    out.push(`- password grant: one password verification is ${fixed(100 * share)}% of its time per request`)
  }
  for (const { scenario, result } of rows) {
    const peer = scenario.peerRow && find(scenario.peerRow)
    if (peer)
      out.push(`- ${scenario.name}: ${fixed(result.rps / peer.result.rps, 2)}× the peer's throughput (target ≥ 1.2)`)
  }
  for (const { scenario, result, floor } of rows) {
    // A DOT row's `floor` is our endpoint, measured interleaved with it.
    if (!scenario.dotOf) continue
    const target = scenario.dotOf.includes('password') ? 'target: the hash' : 'target ≥ 2'
    out.push(`- ${scenario.dotOf}: ${fixed(floor.rps / result.rps, 2)}× django-oauth-toolkit (${target})`)
    // What no code of ours can pass: our row's storage floor, measured in the same run (not interleaved with DOT).
    const ours = find(scenario.dotOf)
    if (ours && !scenario.dotOf.includes('password')) {
      out.push(
        `  (storage alone: "${ours.scenario.floor}" runs at ${fixed(ours.floor.rps / result.rps, 2)}× django-oauth-toolkit)`,
      )
    }
    const hash = find('POST /o/token/ password')
    if (scenario.dotOf.includes('password') && hash && dotHashesPerSecond) {
      out.push(
        `  (the hash alone: Django's PBKDF2 check ${fixed(dotHashesPerSecond, 1)}/s on one core, ` +
          `ours (scrypt, "verify password") ${rps(hash.floor)}/s on the isolate)`,
      )
    }
  }
  for (const { scenario, result, floor } of rows) {
    const ours = scenario.peerOf && find(scenario.peerOf)
    if (!ours) continue
    out.push(`- ${scenario.peerOf}: ${fixed(ours.result.rps / result.rps, 2)}× the peer's throughput (target ≥ 1)`)
    // Where the two do different storage work, that work alone bounds the comparison.
    if (ours.scenario.floor !== scenario.floor) {
      out.push(
        `  (storage alone: "${ours.scenario.floor}" runs at ${fixed(ours.floor.rps / floor.rps, 2)}× "${scenario.floor}")`,
      )
    }
  }
  return out
}

/** Prints the table (Markdown) and the targets. */
export function printReport(report: Report) {
  const { load } = report
  const out = [
    `edge-oauth-toolkit bench: ${report.users} users, wrk -t${load.threads} -c${load.connections}, ` +
      `per row: ${load.warmupSeconds} s warm-up of each, then ${SLICES} runs of each interleaved (FSSFFSSF), ${load.seconds} s in all per side; p50/p99 are the runs' mean`,
    report.machine,
    '',
    line(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'floor', 'floor req/s', 'ratio']),
    line(['---', '---:', '---:', '---:', '---:', '---', '---:', '---:']),
  ]
  for (const [name, r] of Object.entries(report.references)) {
    out.push(line([`floor: ${name}`, rps(r), ms(r.p50Ms), ms(r.p99Ms), unexpected(r), '', '', '']))
  }
  for (const { scenario, result: r, floor } of report.rows) {
    const latency = r.requests > 0 ? [ms(r.p50Ms), ms(r.p99Ms)] : ['–', '–']
    if (scenario.dotOf) {
      out.push(line([scenario.name, rps(r), ...latency, unexpected(r), 'ours, interleaved', rps(floor), '–']))
      continue
    }
    const ratio = r.rps / floor.rps
    out.push(
      line([
        scenario.name,
        rps(r),
        ...latency,
        unexpected(r),
        scenario.floor,
        // A floor that failed is no floor: say so where its figure would be read.
        floor.unexpected > 0 ? `${rps(floor)} (${floor.unexpected} failed!)` : rps(floor),
        ratio >= 0.1 ? fixed(ratio, 2) : fixed(ratio, 3),
      ]),
    )
  }
  const skipped = report.skipped.map((why) => `- ${why}`)
  out.push(
    '',
    ...targets(report.rows, report.dotHashesPerSecond),
    ...skipped,
    '',
    `(${fixed(report.seconds)} s in all)`,
  )
  console.log(out.join('\n'))
}
