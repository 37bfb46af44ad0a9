/**
 * One `wrangler dev` server on a fresh local state for every Node-side test file. Tests read
 * `inject('baseUrl')` and `inject('persistTo')` (the state folder, for the admin CLI and seeding).
 */
import type { TestProject } from 'vitest/node'
import { startDevServer } from '../../scripts/lib/dev-server'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    persistTo: string
  }
}

export default async function setup(project: TestProject) {
  const server = await startDevServer()
  project.provide('baseUrl', server.baseUrl)
  project.provide('persistTo', server.persistTo)
  return server.stop
}
