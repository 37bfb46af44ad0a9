/** @module Confirming an application's deletion. */
import type { Context } from 'hono'
import type { AppEnv } from '../../../env'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import type { Application } from '../../../store/applications'
import { CsrfInput, Layout } from '../layout'

type DeleteProps = { session: Session; app: Application }

const ApplicationDeletePage = ({ session, app }: DeleteProps) => (
  <Layout title={`Delete ${app.name}?`} session={session} nav="applications" narrow>
    <h1>Delete {app.name || app.clientId}?</h1>
    <form class="card" method="post" action={`/o/applications/${app.id}/delete/`}>
      <p>
        Its client id stops working at once, every grant users gave it is revoked with its access and refresh tokens,
        and the tokens it got for itself (client credentials) stop working. This cannot be undone.
      </p>
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit" class="danger">
          Delete
        </button>
        <a class="button secondary" href={`/o/applications/${app.id}/`}>
          Cancel
        </a>
      </div>
    </form>
  </Layout>
)

export const renderApplicationDelete = (c: Context<AppEnv>, props: DeleteProps) =>
  c.html(<ApplicationDeletePage {...props} />)
