/** @module Pieces every admin page shares: the frame with breadcrumbs, a notice, the history, pagination, a delete confirmation. */
import type { Child, FC } from 'hono/jsx'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import type { AdminLogEntry } from '../../../store/admin-log'
import { ADMIN_PAGE_SIZE } from '../../../store/admin-accounts'
import { CsrfInput, Layout } from '../layout'

/** A Unix time as the pages show it. */
/** What every admin list page takes: its rows, the paging and the query they came from, a notice. */
export type AdminListProps<Row> = {
  session: Session
  rows: Row[]
  total: number
  page: number
  query: URLSearchParams
  notice?: string
}

export const when = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`

type FrameProps = {
  session: Session
  title: string
  crumbs?: Array<[string, string]>
  notice?: string
  children?: Child
}

/** An admin page: the site's layout, breadcrumbs back to /admin/, the title and an optional notice. */
export const AdminFrame: FC<FrameProps> = ({ session, title, crumbs = [], notice, children }) => (
  <Layout title={`${title} · Admin`} session={session} nav="admin">
    <p class="small">
      <a href="/admin/">Admin</a>
      {crumbs.map(([href, label]) => (
        <>
          {' › '}
          <a href={href}>{label}</a>
        </>
      ))}
    </p>
    <h1>{title}</h1>
    {notice && (
      <div class="alert success" role="status">
        {notice}
      </div>
    )}
    {children}
  </Layout>
)

const VERBS = { add: 'Added', change: 'Changed', delete: 'Deleted' } as const

/** Entries of the action log: who did what to which object, when. */
export const History: FC<{ entries: AdminLogEntry[]; title?: string; withObject?: boolean }> = ({
  entries,
  title = 'History',
  withObject = false,
}) => (
  <section class="card" id="history">
    <h2>{title}</h2>
    {entries.length === 0 ? (
      <p class="empty">No actions recorded yet.</p>
    ) : (
      <ul class="history">
        {entries.map((e) => (
          <li>
            <span class="small muted">{when(e.actionTime)}</span> <strong>{e.actorUsername}</strong>{' '}
            {[VERBS[e.action].toLowerCase(), withObject ? ` ${e.objectType} “${e.objectRepr}”` : ''].join('')}
            {e.message && <span class="muted">{`: ${e.message}`}</span>}
          </li>
        ))}
      </ul>
    )}
  </section>
)

/** Previous/next links of a paged list, keeping its other query parameters. */
export const Pager: FC<{ total: number; page: number; query: URLSearchParams }> = ({ total, page, query }) => {
  const pages = Math.max(1, Math.ceil(total / ADMIN_PAGE_SIZE))
  const link = (p: number) => {
    const q = new URLSearchParams(query)
    q.set('p', String(p))
    return `?${q}`
  }
  return (
    <p class="small">
      {total} in all · page {page} of {pages}
      {page > 1 && (
        <>
          {' · '}
          <a href={link(page - 1)}>Previous</a>
        </>
      )}
      {page < pages && (
        <>
          {' · '}
          <a href={link(page + 1)}>Next</a>
        </>
      )}
    </p>
  )
}

/** A search box that keeps the list's filters. */
export const Search: FC<{ q: string; hidden?: Record<string, string | undefined> }> = ({ q, hidden = {} }) => (
  <form method="get" class="card">
    <label for="searchbar">Search</label>
    <input type="search" id="searchbar" name="q" value={q} />
    {Object.entries(hidden).map(
      ([name, value]) => value !== undefined && <input type="hidden" name={name} value={value} />,
    )}
    <div class="actions">
      <button type="submit" class="secondary">
        Search
      </button>
    </div>
  </form>
)

type ConfirmProps = {
  session: Session
  kind: string
  name: string
  listUrl: [string, string]
  action: string
  cancel: string
  consequences: Child
}

/** "Are you sure?": what deleting the object ends, and the POST that does it. */
export const ConfirmDeletePage: FC<ConfirmProps> = ({ session, kind, name, listUrl, action, cancel, consequences }) => (
  <AdminFrame session={session} title={`Delete ${kind} “${name}”?`} crumbs={[listUrl]}>
    <form class="card" method="post" action={action}>
      {consequences}
      <p>This cannot be undone.</p>
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit" class="danger">
          Yes, delete
        </button>
        <a class="button secondary" href={cancel}>
          No, go back
        </a>
      </div>
    </form>
  </AdminFrame>
)

/** A checkbox field with its label (Django's BooleanField widget). */
export const Check: FC<{ name: string; label: string; checked: boolean; hint?: string }> = ({
  name,
  label,
  checked,
  hint,
}) => (
  <div>
    <label>
      <input type="checkbox" name={name} id={`id_${name}`} checked={checked} /> {label}
      {hint && <span class="hint">{hint}</span>}
    </label>
  </div>
)

/** A multiple choice list (Django's SelectMultiple) of `options` [id, label], `selected` ticked. */
export const Multi: FC<{ name: string; label: string; options: Array<[number, string]>; selected: number[] }> = ({
  name,
  label,
  options,
  selected,
}) => (
  <div>
    <label for={`id_${name}`}>{label}</label>
    <select id={`id_${name}`} name={name} multiple size={Math.min(8, Math.max(3, options.length))}>
      {options.map(([id, text]) => (
        <option value={String(id)} selected={selected.includes(id)}>
          {text}
        </option>
      ))}
    </select>
  </div>
)
