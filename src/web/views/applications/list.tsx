/** @module The signed-in user's applications. */
import type { Context } from 'hono'
import type { AppEnv } from '../../../env'
import type { Session } from '../../session'
import type { Application } from '../../../store/applications'
import { CLIENT_TYPE_LABELS, GRANT_TYPE_LABELS } from '../../../oauth/application-form'
import { Layout } from '../layout'

type ListProps = { session: Session; apps: Application[] }

const ApplicationListPage = ({ session, apps }: ListProps) => (
  <Layout title="Your applications" session={session} nav="applications">
    <h1>Your applications</h1>
    <p class="lead">
      Clients that may ask this server for tokens. Each gets a client id, and a secret if it is confidential.
    </p>
    <div class="card">
      {apps.length === 0 ? (
        <p class="empty">No applications yet. Register one to get a client id and secret.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Client type</th>
              <th>Grant type</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((app) => (
              <tr>
                <td>
                  <a href={`/o/applications/${app.id}/`}>{app.name || app.clientId}</a>
                </td>
                <td>{CLIENT_TYPE_LABELS[app.clientType]}</td>
                <td>{GRANT_TYPE_LABELS[app.authorizationGrantType]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <a class="button" href="/o/applications/register/">
          New application
        </a>
      </div>
    </div>
  </Layout>
)

export const renderApplicationList = (c: Context<AppEnv>, props: ListProps) =>
  c.html(<ApplicationListPage {...props} />)
