// Tests that need Node.js around the Worker: the admin CLI, and end-to-end runs through a real
// browser or a certified client library against `wrangler dev` on loopback. One server, started
// by the global setup on a fresh local state, serves every file.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/node/**/*.test.ts'],
    globalSetup: ['./test/node/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
