// The tutorial's curl session (scripts/tutorial.sh: reference steps 001-028, real curl, seeded by
// the admin CLI) against the dev server; the script itself compares each status with DOT 1.7's.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, inject, it } from 'vitest'

it('answers every request of the tutorial session as django-oauth-toolkit 1.7 does', async () => {
  const { stdout } = await promisify(execFile)('sh', ['scripts/tutorial.sh'], {
    env: { ...process.env, BASE_URL: inject('baseUrl'), PERSIST_TO: inject('persistTo') },
  })
  expect(stdout).not.toContain('FAIL')
  expect(stdout.match(/^ok\b/gm)).toHaveLength(28)
  expect(stdout).toContain('All 28 requests answered as django-oauth-toolkit 1.7 did')
}, 120_000)
