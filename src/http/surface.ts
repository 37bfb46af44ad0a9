/**
 * @module A surface: one Hono sub-app per kind of caller (protocol clients, API clients, browsers),
 * with its own error format. src/index.ts mounts each and adds the per-surface middleware on its paths.
 */
import type { ErrorHandler, Hono } from 'hono'
import type { AppEnv } from '../env'

/** One surface of the Worker: its routes, the paths they answer, and how it renders any error they throw. */
export type Surface = {
  /**
   * Every path its routes answer, as Hono patterns, disjoint from the other surfaces' paths: the
   * Worker's middleware (the body limit) goes on these, inside the surface, so its errors too are
   * rendered by `onError`.
   */
  paths: readonly string[]
  routes: Hono<AppEnv>
  /** Renders every error the routes or their middleware throw, in the surface's body format. */
  onError: ErrorHandler<AppEnv>
}
