/**
 * @module The bench's one chart: an SVG (no network, no library) of each row's throughput, ours
 * beside its storage floor, the peer and django-oauth-toolkit, so docs/performance.md shows the
 * table at a glance. Bars are scaled per row (to that row's largest), since rows span 1 to 5,000 req/s.
 */
import { writeFileSync } from 'node:fs'
import type { Row } from './report'

const SERIES = [
  { key: 'ours', label: 'edge-oauth-toolkit', color: '#2563eb' },
  { key: 'floor', label: 'its storage floor', color: '#9ca3af' },
  { key: 'peer', label: 'workers-oauth-provider', color: '#f59e0b' },
  { key: 'dot', label: 'django-oauth-toolkit', color: '#16a34a' },
] as const

type Bar = { key: (typeof SERIES)[number]['key']; rps: number }

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const format = (rps: number) => (rps >= 10 ? rps.toFixed(0) : rps.toFixed(1))

/** Our rows, each with the bars measured beside it in the same run. */
function groups(rows: Row[]): Array<{ name: string; bars: Bar[] }> {
  const ours = rows.filter((r) => !r.scenario.peerOf && !r.scenario.dotOf)
  return ours.map(({ scenario, result, floor }) => {
    const peer = rows.find((r) => r.scenario.peerOf === scenario.name || r.scenario.name === scenario.peerRow)
    const dot = rows.find((r) => r.scenario.dotOf === scenario.name)
    const bars: Bar[] = [
      { key: 'ours', rps: result.rps },
      { key: 'floor', rps: floor.rps },
      ...(peer ? [{ key: 'peer' as const, rps: peer.result.rps }] : []),
      ...(dot ? [{ key: 'dot' as const, rps: dot.result.rps }] : []),
    ]
    return { name: scenario.name, bars }
  })
}

/** Writes the chart for `rows` to `path`. */
export function writeChart(path: string, rows: Row[], title: string) {
  const width = 760
  const labelWidth = 300
  const barMax = width - labelWidth - 70
  const barHeight = 11
  const out: string[] = []
  let y = 24
  out.push(`<text x="8" y="${y}" font-weight="bold">${xml(title)}</text>`)
  y += 20
  SERIES.forEach((s, i) => {
    const x = 8 + i * 185
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${s.color}"/>`)
    out.push(`<text x="${x + 14}" y="${y}">${s.label}</text>`)
  })
  y += 14
  for (const group of groups(rows)) {
    const top = Math.max(...group.bars.map((b) => b.rps))
    const height = group.bars.length * (barHeight + 2)
    y += 8
    out.push(`<text x="8" y="${y + height / 2 + 4}">${xml(group.name)}</text>`)
    for (const bar of group.bars) {
      const series = SERIES.find((s) => s.key === bar.key)!
      const w = Math.max(1, (bar.rps / top) * barMax)
      out.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${series.color}"/>`,
      )
      out.push(`<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + barHeight - 1}">${format(bar.rps)}</text>`)
      y += barHeight + 2
    }
  }
  y += 10
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<title>${xml(title)}</title>`,
    `<rect width="${width}" height="${y}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n')
  writeFileSync(path, svg)
}
