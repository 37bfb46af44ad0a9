/** @module One bench environment: Miniflare serving, data seeded, tokens minted. Used by run.ts and profile.ts. */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Served, serve } from './serve'
import { seed } from './seed'
import { basicFor, jwtAccessToken, peerGrants, passwordTokens, refreshPool } from './tokens'
import type { Fixtures } from './scenarios'

export const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`)

export type Bench = { served: Served; fixtures: Fixtures; close: () => Promise<void> }

/**
 * Serves, seeds and mints. `refreshTokens` is the size of each refresh pool (ours and the peer's,
 * both from authorization codes exchanged at the real token endpoints).
 */
export async function startBench(opts: {
  users: number
  refreshTokens: number
  inspectorPort?: number
}): Promise<Bench> {
  progress('building and starting Miniflare')
  const served = await serve({ inspectorPort: opts.inspectorPort })
  const close = async () => {
    await served.mf.dispose()
    rmSync(served.dir, { recursive: true, force: true })
  }
  try {
    progress(`seeding ${opts.users} users`)
    const seeded = await seed(served.mf, { users: opts.users, groups: 50, apps: 20 })
    progress(`minting tokens (${opts.refreshTokens} code exchanges for each refresh pool)`)
    const { access_token: accessToken } = await passwordTokens(served.mf, seeded)
    const refreshPoolFile = join(served.dir, 'refresh-tokens.txt')
    writeFileSync(refreshPoolFile, (await refreshPool(served.mf, seeded, opts.refreshTokens)).join('\n'))
    const peer = await peerGrants(served.mf, opts.refreshTokens + 1)
    const peerPoolFile = join(served.dir, 'peer-refresh-tokens.txt')
    writeFileSync(
      peerPoolFile,
      peer.grants
        .slice(1)
        .map((g) => g.refresh_token)
        .join('\n'),
    )
    const jwt = await jwtAccessToken(served.mf, seeded)
    const fixtures: Fixtures = {
      seeded,
      jwt,
      userPk: Math.min(opts.users, 500),
      accessToken,
      refreshPoolFile,
      peer: { accessToken: peer.grants[0]!.access_token, basic: basicFor(peer.client), refreshPoolFile: peerPoolFile },
    }
    return { served, fixtures, close }
  } catch (err) {
    await close()
    throw err
  }
}
