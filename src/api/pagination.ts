/**
 * @module List responses, paginated as DRF's LimitOffsetPagination when the `PAGE_SIZE` var is set:
 * `{"count","next","previous","results"}` with `?limit=&offset=`. Unset keeps the tutorial's plain
 * JSON array. One D1 round trip either way: the page and its COUNT(*) go in one batch, so a list
 * never loads more rows than one page; the check that the token's user is still active rides in
 * the same batch (src/auth/active-user.ts).
 */
import type { Context } from 'hono'
import type { BatchItem } from 'drizzle-orm/batch'
import type { AppEnv } from '../env'
import type { Db } from '../db/client'
import type { Actor } from '../store/users'
import { readSettings } from '../config'
import { batchAsActiveUser, pageAsActiveUser, rowsAsActiveUser } from '../auth/active-user'

/** The query parameters DRF's LimitOffsetPagination reads. */
const LIMIT = 'limit'
const OFFSET = 'offset'

/** A page of an ordered list query: the caller applies LIMIT/OFFSET to its own select. */
export type PageQuery<Row> = {
  /** The list's COUNT(*), as a batch item (a select of `{ n }`). */
  count: () => BatchItem<'sqlite'>
  /** The ordered select, without a LIMIT, for the plain list. */
  all: () => OrderedSelect<Row>
  /** The same select with LIMIT and OFFSET. */
  page: (limit: number, offset: number) => BatchItem<'sqlite'>
  /**
   * For a list that always holds the token's user (the users): the plain list as seen by that
   * user, empty unless they exist and are active, so the check needs no statement of its own.
   */
  allSeenBy?: (seenBy: Actor) => Promise<Row[]>
  /** Likewise a page and its COUNT (one D1 batch), 0 and no rows unless the token's user exists and is active. */
  pageSeenBy?: (seenBy: Actor, limit: number, offset: number) => Promise<{ total: number; rows: Row[] }>
}

/** The ordered select a list function builds (drizzle's SQLite select builder, narrowed). */
type OrderedSelect<Row> = BatchItem<'sqlite'> & {
  all: () => Promise<Row[]>
  limit: (n: number) => { offset: (n: number) => BatchItem<'sqlite'> }
}

/** A PageQuery from the store's functions that build the list's ordered select and its count. */
export const pageOf = <Row>(
  db: Db,
  list: (db: Db) => OrderedSelect<Row>,
  countAll: (db: Db) => BatchItem<'sqlite'>,
): PageQuery<Row> => ({
  count: () => countAll(db),
  all: () => list(db),
  page: (limit, offset) => list(db).limit(limit).offset(offset),
})

/**
 * Python's `int()` as DRF's `_positive_int` uses it: surrounding whitespace, a sign and digit
 * underscores are accepted; negative numbers (and 0 when `strict`) are not. Null means "fall back".
 */
function parsePositiveInt(value: string | null, strict: boolean, cutoff?: number): number | null {
  if (value === null || !/^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return null
  const n = Number(value.trim().replaceAll('_', ''))
  if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && strict)) return null
  return cutoff ? Math.min(n, cutoff) : n
}

/** Django's `request.query_params[key]`: the last value when a parameter repeats. */
const lastQueryValue = (c: Context<AppEnv>, key: string) => c.req.queries(key)?.at(-1) ?? null

/** Python's `urllib.parse.quote_plus`: only letters, digits and `_.-~` stay as they are. */
const quotePlus = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')

/**
 * DRF's `replace_query_param` / `remove_query_param`: the query string is re-encoded with its keys
 * sorted (`urlencode(sorted(parse_qs(query).items()))`), other parameters kept.
 */
function withQueryParam(url: URL, key: string, value: number | null): string {
  const grouped = new Map<string, string[]>()
  for (const [k, v] of url.searchParams) grouped.set(k, [...(grouped.get(k) ?? []), v])
  if (value === null) grouped.delete(key)
  else grouped.set(key, [String(value)])
  const keys = [...grouped.keys()].sort()
  const query = keys.flatMap((k) => grouped.get(k)!.map((v) => `${quotePlus(k)}=${quotePlus(v)}`)).join('&')
  return `${url.origin}${url.pathname}${query ? `?${query}` : ''}`
}

/** `next` and `previous` exactly as LimitOffsetPagination's get_next_link / get_previous_link. */
function pageLinks(requestUrl: string, limit: number, offset: number, total: number) {
  const url = new URL(requestUrl)
  url.hash = ''
  const withLimit = new URL(withQueryParam(url, LIMIT, limit))
  const next = offset + limit >= total ? null : withQueryParam(withLimit, OFFSET, offset + limit)
  let previous: string | null = null
  if (offset > 0) {
    // DRF drops `offset` rather than write `offset=0` (or a negative one).
    previous = withQueryParam(withLimit, OFFSET, offset - limit <= 0 ? null : offset - limit)
  }
  return { next, previous }
}

/**
 * Answers a list endpoint, for an authenticated user's token (after `requireUser()`): the plain
 * array without `PAGE_SIZE`, else one page as DRF's LimitOffsetPagination renders it. An invalid
 * or negative `limit` falls back to `PAGE_SIZE`, an invalid `offset` to 0; `limit` is capped at
 * `MAX_PAGE_SIZE` (DRF's `max_limit`). 401 if the token's user is gone or inactive.
 */
export async function listResponse<Row, Json>(c: Context<AppEnv>, query: PageQuery<Row>, toJson: (row: Row) => Json) {
  const { pageSize, maxPageSize } = readSettings(c.env)
  if (pageSize === null) {
    const rows = query.allSeenBy
      ? await rowsAsActiveUser(c, query.allSeenBy)
      : ((await batchAsActiveUser(c, [query.all()]))[0] as Row[])
    return c.json(rows.map(toJson))
  }

  const limit = parsePositiveInt(lastQueryValue(c, LIMIT), true, maxPageSize) ?? pageSize
  const offset = parsePositiveInt(lastQueryValue(c, OFFSET), false) ?? 0
  // One round trip: COUNT(*) and the page in one D1 batch (DRF runs them as two queries).
  const { pageSeenBy } = query
  const { total, rows } = pageSeenBy
    ? await pageAsActiveUser(c, (seenBy) => pageSeenBy(seenBy, limit, offset))
    : await batchAsActiveUser(c, [query.count(), query.page(limit, offset)]).then(([counts, page]) => ({
        total: (counts as { n: number }[])[0]?.n ?? 0,
        rows: page,
      }))
  return c.json({
    count: total,
    ...pageLinks(c.req.url, limit, offset, total),
    results: (rows as Row[]).map(toJson),
  })
}
