// One end-to-end file under Node: it starts both Workers with `wrangler dev` and drives them with
// the official MCP client and a headless Chromium.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
