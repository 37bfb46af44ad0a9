/**
 * @module Builds the Worker as it deploys (`wrangler deploy --dry-run`) and serves it through
 * Miniflare's API on loopback, beside the bench-only floor and peer workers, all on one local
 * D1 and KV state in a temporary folder. Workers are picked by Host header: the app answers any
 * host, `paged.bench` is the same bundle with PAGE_SIZE set, `floor.bench` the floors and
 * `localhost` @cloudflare/workers-oauth-provider (with its own KV, and our D1 for its route).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { exportJWK, generateKeyPair } from 'jose'
import { Miniflare, type WorkerOptions } from 'miniflare'

export const HOSTS = {
  app: 'app.bench',
  paged: 'paged.bench',
  floor: 'floor.bench',
  peer: 'localhost',
} as const

/**
 * A signing key made for this run (RS256, as src/oidc/keys.ts wants): JWT access tokens (RFC 9068)
 * are signed with the OIDC key, and `npm start`'s key lives in .dev.vars, which the bench does not read.
 */
async function benchSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  return JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256' }])
}

/** The page size the paginated instance serves (DRF's PAGE_SIZE), and its MAX_PAGE_SIZE. */
export const BENCH_PAGE_SIZE = '100'

export type Served = { mf: Miniflare; url: URL; dir: string }

// Everything wrangler would otherwise send over the network is off (TOOLCHAIN.md, "Wrangler offline").
const OFFLINE = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

/** The app bundle exactly as `wrangler deploy` would upload it. */
function buildApp(outdir: string): string {
  execFileSync('sh', ['scripts/wrangler.sh', 'deploy', '--dry-run', '--outdir', outdir], { stdio: 'ignore' })
  return join(outdir, 'index.js')
}

/** The bench-only workers, bundled for workerd the way wrangler bundles ours. */
async function buildBenchWorker(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'],
    logLevel: 'error',
  })
  return outfile
}

/** Starts Miniflare with the app, its paginated twin, the floors and the peer. */
export async function serve(opts: { inspectorPort?: number } = {}): Promise<Served> {
  Object.assign(process.env, OFFLINE)
  const dir = mkdtempSync(join(tmpdir(), 'eot-bench-'))
  const appScript = buildApp(join(dir, 'app'))
  const floorScript = await buildBenchWorker('bench/floor-worker.ts', join(dir, 'floor.js'))
  const peerScript = await buildBenchWorker('bench/peer-worker.ts', join(dir, 'peer.js'))
  const { unstable_getMiniflareWorkerOptions } = await import('wrangler')
  // The compatibility date, flags, vars and binding ids from wrangler.toml, as `wrangler dev` reads them.
  const { workerOptions } = unstable_getMiniflareWorkerOptions('wrangler.toml')
  const { compatibilityDate, compatibilityFlags, bindings, d1Databases, kvNamespaces } = workerOptions
  // Module names are relative to modulesRoot: the scripts live in the temporary folder.
  const runtime = {
    compatibilityDate,
    compatibilityFlags,
    modules: true,
    modulesRoot: dir,
  } satisfies Partial<WorkerOptions>
  const storage = { d1Databases, kvNamespaces }
  const appBindings = { ...bindings, OIDC_PRIVATE_KEYS: await benchSigningKeys() }
  const app = { ...runtime, ...storage, scriptPath: appScript, bindings: appBindings }
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    defaultPersistRoot: join(dir, 'state'),
    inspectorPort: opts.inspectorPort,
    // The app logs one JSON line per request; the bench drops them instead of printing them.
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume()
      stderr.pipe(process.stderr)
    },
    workers: [
      { name: 'app', ...app },
      { name: 'paged', ...app, bindings: { ...appBindings, PAGE_SIZE: BENCH_PAGE_SIZE }, routes: [`${HOSTS.paged}/*`] },
      { name: 'floor', ...runtime, ...storage, scriptPath: floorScript, routes: [`${HOSTS.floor}/*`] },
      {
        name: 'peer',
        ...runtime,
        d1Databases,
        kvNamespaces: { OAUTH_KV: 'peer-oauth-kv' },
        scriptPath: peerScript,
        routes: [`${HOSTS.peer}/*`],
      },
    ],
  })
  const url = await mf.ready
  return { mf, url, dir }
}
