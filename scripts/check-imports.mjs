// Checks that the import graph of src/'s top-level folders and root files is a DAG, type-only
// imports included (docs/architecture.md). `-v` prints the graph. Run by `npm run lint`.
import fs from 'node:fs'
import path from 'node:path'

const files = []
const walk = (dir) => {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name)
    if (fs.statSync(p).isDirectory()) walk(p)
    else if (/\.tsx?$/.test(name)) files.push(p)
  }
}
walk('src')

/** `src/oauth/scopes.ts` → `oauth/`; `src/env.ts` → `env`. */
const node = (file) => {
  const parts = path.relative('src', file).split(path.sep)
  return parts.length > 1 ? `${parts[0]}/` : parts[0].replace(/\.tsx?$/, '')
}

const edges = new Map()
const example = new Map()
const importRe = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?from\s+)?['"](\.[^'"]+)['"]/g
for (const file of files) {
  for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(importRe)) {
    const from = node(file)
    const to = node(path.relative('.', path.resolve(path.dirname(file), spec)))
    if (from === to) continue
    if (!edges.has(from)) edges.set(from, new Set())
    edges.get(from).add(to)
    example.set(`${from}>${to}`, file)
  }
}

// Tarjan's strongly connected components: any component of more than one node is a cycle.
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

if (process.argv[2] === '-v') for (const [from, to] of edges) console.log(from, '->', [...to].join(' '))
for (const cycle of cycles) {
  console.error(`import cycle among ${cycle.join(' ')}:`)
  for (const a of cycle)
    for (const b of edges.get(a) ?? [])
      if (cycle.includes(b)) console.error(`  ${a} -> ${b} (${example.get(`${a}>${b}`)})`)
}
process.exit(cycles.length ? 1 : 0)
