// The tutorial's curl session, with real curl, against the dev server, seeded by the admin CLI.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, inject, it } from 'vitest'

it('answers every tutorial request as django-oauth-toolkit does', async () => {
  const { stdout } = await promisify(execFile)('npx', [
    'tsx', 'scripts/tutorial.ts', '--base-url', inject('baseUrl'), '--persist-to', inject('persistTo'),
  ])
  expect(stdout).toContain('The tutorial answered as django-oauth-toolkit does.')
  expect(stdout).not.toContain('FAIL')
}, 120_000)
