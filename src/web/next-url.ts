/** @module Where to go after sign-in: only a path on this origin, so `?next=` is no open redirect. */
import { normalizedSameOriginPath } from '../http/same-origin'

const MAX_NEXT = 4096

/**
 * `next` as a same-origin path (dot segments resolved), else "/". Refused: anything not starting
 * with exactly one "/" (`//host`, `/\host`), schemes (`https:`, `javascript:`), control characters
 * or whitespace that browsers strip before resolving, and paths that normalise into one of those
 * (`/.//host` → `//host`). What it returns is what was checked, so it is idempotent:
 * `safeNext(safeNext(x)) === safeNext(x)`.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > MAX_NEXT) return '/'
  const path = normalizedSameOriginPath(next)
  // Percent-encoding can lengthen it: the limit holds for what is returned too.
  return path !== null && path.length <= MAX_NEXT ? path : '/'
}
