/**
 * Starts the Worker with `wrangler dev` on a free loopback port, on a fresh local D1/KV state
 * in a temporary folder, with migrations applied, and stops it after the run. Tests read
 * `inject('baseUrl')` and `inject('persistTo')` (the state folder, for the admin CLI).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    persistTo: string
  }
}

const WRANGLER = join(process.cwd(), 'scripts/wrangler.sh')

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log()}`)
    try {
      await fetch(url)
      return
    } catch {
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  throw new Error(`wrangler dev did not answer within 90 s:\n${log()}`)
}

export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(join(tmpdir(), 'eot-state-'))
  execFileSync('sh', [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const port = await freePort()
  const inspector = await freePort()
  let output = ''
  const child = spawn(
    'sh',
    [WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', persistTo],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const baseUrl = `http://127.0.0.1:${port}`
  await waitUntilUp(baseUrl, child, () => output)
  project.provide('baseUrl', baseUrl)
  project.provide('persistTo', persistTo)
  return () => {
    // wrangler leaves workerd running unless the whole process group goes.
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {}
    rmSync(persistTo, { recursive: true, force: true })
  }
}
