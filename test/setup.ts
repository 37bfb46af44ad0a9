// Runs before each test file. Storage is isolated per file; migrations are applied once per file.
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterAll, expect } from 'vitest'
import { captureConsole, leakedSecrets } from './helpers/secrets'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)

// No token, secret or password may ever reach the logs (issue: "nothing leaked").
captureConsole()
afterAll(() => {
  expect(leakedSecrets()).toEqual([])
})
