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

const AuthorizedTokensPage: FC<TokensProps> = ({ session, grants, notice }) => {
  const csrf = sessionCsrfToken(session)
  return (
    <Layout title="Authorized apps" session={session} nav="tokens">
      <h1>Authorized apps</h1>
      <p class="lead">
        Applications holding tokens for your account. Revoking one ends its access and refresh tokens at once.
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
              {grants.map((grant) => (
                <tr>
                  <td>
                    <strong>{grant.application.name || grant.application.clientId}</strong>
                  </td>
                  <td>
                    {grant.scope
                      .split(' ')
                      .filter(Boolean)
                      .map((s) => (
                        <span class="tag" title={s}>
                          {describe(s)}
                        </span>
                      ))}
                  </td>
                  <td class="small">
                    {date(grant.created)}
                    <div class="muted">until {date(grant.expiresAt)}</div>
                  </td>
                  <td>
                    <form method="post" action={`/o/authorized_tokens/${grant.id}/delete/`}>
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
