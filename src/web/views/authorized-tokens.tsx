/** @module The applications a user has let use their account, each with a button to withdraw it. */
import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { AppEnv } from '../../env'
import { SCOPES } from '../../config'
import type { Session } from '../session'
import { sessionCsrfToken } from '../csrf'
import type { UserGrant } from '../../store/user-grants'
import { CsrfInput, Layout } from './layout'

type TokensProps = { session: Session; grants: UserGrant[]; notice?: string }

const describe = (scope: string) => (SCOPES as Record<string, string>)[scope] ?? scope
const date = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** One row per application: its grants' scopes together, the first issue and the last expiry. */
type AppRow = {
  grantId: string
  application: UserGrant['application']
  scopes: string[]
  count: number
  created: number
  expiresAt: number
}

function byApplication(grants: UserGrant[]): AppRow[] {
  const rows = new Map<number, AppRow>()
  for (const g of grants) {
    const row = rows.get(g.application.id)
    const scopes = g.scope.split(' ').filter(Boolean)
    if (!row) {
      rows.set(g.application.id, {
        grantId: g.id,
        application: g.application,
        scopes,
        count: 1,
        created: g.created,
        expiresAt: g.expiresAt,
      })
      continue
    }
    row.count++
    row.scopes = [...new Set([...row.scopes, ...scopes])]
    row.created = Math.min(row.created, g.created)
    row.expiresAt = Math.max(row.expiresAt, g.expiresAt)
  }
  return [...rows.values()]
}

const AuthorizedTokensPage: FC<TokensProps> = ({ session, grants, notice }) => {
  const csrf = sessionCsrfToken(session)
  const rows = byApplication(grants)
  return (
    <Layout title="Authorized apps" session={session} nav="tokens">
      <h1>Authorized apps</h1>
      <p class="lead">
        Applications holding tokens for your account. Revoking one ends all of its access and refresh tokens at once.
      </p>
      {notice && (
        <div class="alert success" role="status">
          {notice}
        </div>
      )}
      <div class="card">
        {grants.length === 0 ? (
          <p class="empty">No application has access to your account.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th>Application</th>
                <th>May</th>
                <th>Granted</th>
                <th>
                  <span class="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>
                    <strong>{row.application.name || row.application.clientId}</strong>
                    {row.count > 1 && <div class="muted small">{row.count} grants</div>}
                  </td>
                  <td>
                    {row.scopes.map((s) => (
                      <span class="tag" title={s}>
                        {describe(s)}
                      </span>
                    ))}
                  </td>
                  <td class="small">
                    {date(row.created)}
                    <div class="muted">until {date(row.expiresAt)}</div>
                  </td>
                  <td>
                    <form method="post" action={`/o/authorized_tokens/${row.grantId}/delete/`}>
                      <CsrfInput token={csrf} />
                      <button type="submit" class="danger">
                        Revoke
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Layout>
  )
}

export const renderAuthorizedTokens = (c: Context<AppEnv>, props: TokensProps) =>
  c.html(<AuthorizedTokensPage {...props} />)
