// Which of Hono's routers the app runs on. SmartRouter picks RegExpRouter unless one route is
// beyond it (a fixed segment beside a parameter, e.g. `register/` beside `:id/`), and then puts
// every request on TrieRouter, ~10× slower to match (src/web/applications.ts, README "Performance").
import { env } from 'cloudflare:test'
import { expect, it } from 'vitest'
import { app } from '../../src'

it('routes with RegExpRouter', async () => {
  await app.request('/users/1/', {}, env)
  expect(app.router.name).toBe('SmartRouter + RegExpRouter')
})
