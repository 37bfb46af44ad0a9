import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { exportJWK, generateKeyPair } from 'jose'

export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations')
  // The OpenID Connect signing key, a wrangler secret in production (`npm run oidc:keygen`), fresh for every run.
  const oidcKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
  return {
    plugins: [
      cloudflareTest({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            OIDC_PRIVATE_KEYS: JSON.stringify([{ ...oidcKey, kid: 'test-key' }]),
            // `FUZZ_RUNS=5000 npm run test:workers -- test/resilience/fuzz` for a longer fuzzing run.
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? '150',
            FUZZ_SEED: process.env.FUZZ_SEED ?? '20261128',
          },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
      // test/node/** runs under Node against `wrangler dev` (vitest.node.config.ts), not inside workerd.
      exclude: ['test/e2e/**', 'test/node/**'],
      testTimeout: 20_000,
      // The Worker's structured logs are checked for secrets by test/setup.ts; keep them off the report.
      onConsoleLog: (log: string) => !log.startsWith('{"level":'),
    },
  }
})
