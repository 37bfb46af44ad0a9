// Checks the import graph of src/'s top-level folders and root files (docs/architecture.md), type-only
// imports included:
// - it is a DAG (no cycle among folders);
// - one surface per folder: the surfaces (src/protocol, src/api, src/web) import no other surface,
//   and nothing but src/index.ts, which composes them, imports a surface.
// `-v` prints the graph. Run by `npm run lint`; test/node/check-imports.test.ts runs it on fixtures.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** The surface folders: each a Hono sub-app that only src/index.ts mounts. */
export const SURFACES = ['protocol/', 'api/', 'web/']

/** The node a file belongs to: `src/oauth/scopes.ts` → `oauth/`; `src/env.ts` → `env`. */
const nodeOf = (root, file) => {
  const parts = path.relative(root, file).split(path.sep)
  return parts.length > 1 ? `${parts[0]}/` : parts[0].replace(/\.tsx?$/, '')
}

const importRe = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?from\s+)?['"](\.[^'"]+)['"]/g

/**
 * The import graph of `sources` (file path under `root` → its text): edges between nodes, and one
 * file that makes each edge.
 */
export function importGraph(root, sources) {
  const edges = new Map()
  const example = new Map()
  for (const [file, text] of sources) {
    for (const [, spec] of text.matchAll(importRe)) {
      const from = nodeOf(root, file)
      const to = nodeOf(root, path.resolve(path.dirname(path.resolve(file)), spec))
      if (from === to) continue
      if (!edges.has(from)) edges.set(from, new Set())
      edges.get(from).add(to)
      example.set(`${from}>${to}`, file)
    }
  }
  return { edges, example }
}

/** Tarjan's strongly connected components: each component of more than one node is a cycle. */
function cyclesOf(edges) {
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])]
  const index = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const cycles = []
  let next = 0
  const visit = (v) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
    }
    if (low.get(v) !== index.get(v)) return
    const component = []
    let w
    do {
      w = stack.pop()
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) cycles.push(component)
  }
  for (const v of nodes) if (!index.has(v)) visit(v)
  return cycles
}

/** Every problem of the graph of `sources` (see the top of this file), one line each (empty: none). */
export function importProblems(root, sources) {
  const { edges, example } = importGraph(root, sources)
  const problems = []
  for (const cycle of cyclesOf(edges)) {
    problems.push(`import cycle among ${cycle.join(' ')}:`)
    for (const a of cycle)
      for (const b of edges.get(a) ?? [])
        if (cycle.includes(b)) problems.push(`  ${a} -> ${b} (${example.get(`${a}>${b}`)})`)
  }
  for (const [from, tos] of edges) {
    for (const to of tos) {
      if (!SURFACES.includes(to) || from === 'index') continue
      const who = SURFACES.includes(from) ? `the surface ${from}` : from
      problems.push(
        `${who} imports the surface ${to} (${example.get(`${from}>${to}`)}): only index.ts composes surfaces; ` +
          'move what they share below them',
      )
    }
  }
  return problems
}

/** The .ts/.tsx files under `dir`, with their text. */
function readSources(dir) {
  const sources = new Map()
  const walk = (d) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name)
      if (fs.statSync(p).isDirectory()) walk(p)
      else if (/\.tsx?$/.test(name)) sources.set(p, fs.readFileSync(p, 'utf8'))
    }
  }
  walk(dir)
  return sources
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sources = readSources('src')
  if (process.argv[2] === '-v') {
    for (const [from, to] of importGraph('src', sources).edges) console.log(from, '->', [...to].join(' '))
  }
  const problems = importProblems('src', sources)
  for (const line of problems) console.error(line)
  process.exit(problems.length ? 1 : 0)
}
