/** @module Where to go after sign-in: only a path on this origin, so `?next=` is no open redirect. */

/**
 * `next` when it is a same-origin path, else "/". Refused: anything not starting with exactly one
 * "/" (`//host`, `/\host`, which browsers read as `//host`), schemes (`https:`, `javascript:`), and
 * control characters or whitespace that browsers strip before resolving.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 4096) return '/'
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/'
  if (/[\u0000-\u0020\u007f\\]/.test(next)) return '/'
  const base = 'https://same-origin.invalid'
  let url: URL
  try {
    url = new URL(next, base)
  } catch {
    return '/'
  }
  return url.origin === base ? url.pathname + url.search : '/'
}
