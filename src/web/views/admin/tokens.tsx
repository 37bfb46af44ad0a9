/** @module The admin's list of live grants (DOT's access tokens), filtered by user or application, revoked one or a selection at a time. */
import type { FC } from 'hono/jsx'
import { sessionCsrfToken } from '../../csrf'
import { CsrfInput } from '../layout'
import { AdminFrame, type AdminListProps, Pager, when } from './parts'

export type GrantRow = {
  id: string
  scope: string
  created: number
  expiresAt: number
  userId: number | null
  username: string | null
  applicationId: number
  applicationName: string
  clientId: string
}

type Props = AdminListProps<GrantRow>

export const TokenListPage: FC<Props> = ({ session, rows, total, page, query, notice }) => (
  <AdminFrame session={session} title="Access tokens" notice={notice}>
    <p class="lead">
      Live grants: each is an access token and its refresh token. Revoking ends both at once. Filter with{' '}
      <code>?user=&lt;id&gt;</code> or <code>?application=&lt;id&gt;</code>, or the links below.
    </p>
    <form class="card" method="post" action="/admin/oauth2_provider/accesstoken/revoke/">
      <table class="list">
        <thead>
          <tr>
            <th>Select</th>
            <th>User</th>
            <th>Application</th>
            <th>Scope</th>
            <th>Issued</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr>
              <td>
                <input type="checkbox" name="_selected_action" value={g.id} aria-label={`Select grant ${g.id}`} />
              </td>
              <td>{g.userId === null ? '' : <a href={`?user=${g.userId}`}>{g.username}</a>}</td>
              <td>
                <a href={`?application=${g.applicationId}`}>{g.applicationName || g.clientId}</a>
              </td>
              <td>{g.scope}</td>
              <td class="small">{when(g.created)}</td>
              <td class="small">{when(g.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager total={total} page={page} query={query} />
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit" class="danger">
          Revoke selected
        </button>
      </div>
    </form>
  </AdminFrame>
)
