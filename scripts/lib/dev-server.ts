/**
 * Starts the Worker with `wrangler dev` on a free loopback port, on a fresh local D1/KV state in a
 * temporary folder with migrations applied. Used by the Node-side tests and the soak run.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureEnvFileKey } from './oidc-keys'
import { wrangler } from '../admin/d1'

const WRANGLER = join(import.meta.dirname, '..', 'wrangler.sh')

export type DevServer = { baseUrl: string; persistTo: string; stop: () => void }

export function freePort(): Promise<number> {
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

/** Runs a wrangler command against the given local state (e.g. `d1 execute DB --command …`), as the admin CLI does. */
export const wranglerLocal = (persistTo: string, args: string[]): string => wrangler({ remote: false, persistTo }, args)

export async function startDevServer(): Promise<DevServer> {
  const persistTo = mkdtempSync(join(tmpdir(), 'eot-state-'))
  wranglerLocal(persistTo, ['d1', 'migrations', 'apply', 'DB'])
  // A throwaway OpenID Connect signing key; naming it also keeps a developer's .dev.vars out of the run.
  const keyFile = join(persistTo, 'oidc-dev-key.env')
  await ensureEnvFileKey(keyFile)
  const [port, inspector] = [await freePort(), await freePort()]
  let output = ''
  const child = spawn(
    'sh',
    [
      ...[WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)],
      ...['--persist-to', persistTo, '--env-file', keyFile],
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const baseUrl = `http://127.0.0.1:${port}`
  await waitUntilUp(baseUrl, child, () => output)
  return {
    baseUrl,
    persistTo,
    stop: () => {
      // wrangler leaves workerd running unless the whole process group goes.
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {}
      rmSync(persistTo, { recursive: true, force: true })
    },
  }
}
