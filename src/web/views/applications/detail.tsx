/** @module One application: its credentials (the secret only right after it was made), settings and actions. */
import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../../../env'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import { CLIENT_TYPE_LABELS, GRANT_TYPE_LABELS } from '../../../oauth/application-form'
import type { Application } from '../../../store/applications'
import { CsrfInput, Layout } from '../layout'

type DetailProps = {
  session: Session
  app: Application
  /** The client secret, present only in the answer that generated it: it is stored hashed. */
  secret?: string
  notice?: string
  tokenEndpoint: string
}

const Copyable: FC<{ id: string; value: string; label: string }> = ({ id, value, label }) => (
  <div class="secret">
    <code id={id}>{value}</code>
    <button type="button" class="secondary" data-copy={id} aria-label={`Copy ${label}`}>
      Copy
    </button>
  </div>
)

const List: FC<{ value: string; empty: string }> = ({ value, empty }) =>
  value ? value.split(' ').map((item) => <div class="mono">{item}</div>) : <span class="muted">{empty}</span>

/** The tutorial's token request for this application, ready to paste. */
function curlExample(app: Application, tokenEndpoint: string, secret?: string) {
  const credentials = app.clientType === 'confidential' ? `-u"${app.clientId}:${secret ?? '<client_secret>'}" ` : ''
  const clientId = app.clientType === 'public' ? `&client_id=${app.clientId}` : ''
  switch (app.authorizationGrantType) {
    case 'password':
      return `curl -X POST -d "grant_type=password&username=<user_name>&password=<password>${clientId}" ${credentials}${tokenEndpoint}`
    case 'client-credentials':
      return `curl -X POST -d "grant_type=client_credentials" ${credentials}${tokenEndpoint}`
    default:
      return null
  }
}

const ApplicationDetailPage: FC<DetailProps> = ({ session, app, secret, notice, tokenEndpoint }) => {
  const csrf = sessionCsrfToken(session)
  const curl = curlExample(app, tokenEndpoint, secret)
  return (
    <Layout title={app.name || app.clientId} session={session} nav="applications">
      <p class="small">
        <a href="/o/applications/">← Your applications</a>
      </p>
      <h1>{app.name || app.clientId}</h1>
      {notice && (
        <div class="alert success" role="status">
          {notice}
        </div>
      )}
      {secret && (
        <div class="alert warn" role="alert">
          <strong>Copy the client secret now.</strong> It is stored hashed and will not be shown again; if you lose it,
          generate a new one.
        </div>
      )}
      <section class="card">
        <dl class="props">
          <dt>Client id</dt>
          <dd>
            <Copyable id="client-id" value={app.clientId} label="client id" />
          </dd>
          <dt>Client secret</dt>
          <dd>
            {secret ? (
              <Copyable id="client-secret" value={secret} label="client secret" />
            ) : app.clientType === 'public' ? (
              <span class="muted">None: a public client has no secret.</span>
            ) : (
              <span class="muted">Hidden. It was shown once, when it was generated.</span>
            )}
          </dd>
          <dt>Client type</dt>
          <dd>{CLIENT_TYPE_LABELS[app.clientType]}</dd>
          <dt>Authorization grant type</dt>
          <dd>{GRANT_TYPE_LABELS[app.authorizationGrantType]}</dd>
          <dt>Redirect URIs</dt>
          <dd>
            <List value={app.redirectUris} empty="None" />
          </dd>
          <dt>Allowed origins</dt>
          <dd>
            <List value={app.allowedOrigins} empty="None" />
          </dd>
          <dt>Skip authorization</dt>
          <dd>{app.skipAuthorization ? 'Yes: users are not asked to consent (set by an administrator)' : 'No'}</dd>
        </dl>
        <div class="actions">
          <a class="button" href={`/o/applications/${app.id}/update/`}>
            Edit
          </a>
          <a class="button danger" href={`/o/applications/${app.id}/delete/`}>
            Delete
          </a>
        </div>
      </section>
      {curl && (
        <section class="card">
          <h2>Get a token</h2>
          <Copyable id="curl" value={curl} label="command" />
        </section>
      )}
      {app.clientType === 'confidential' && (
        <form class="card" method="post" action={`/o/applications/${app.id}/secret/`}>
          <h2>Client secret</h2>
          <p class="muted small">
            A new secret replaces the current one at once: clients using the old one stop getting tokens, and the tokens
            the old one got for the client itself (client credentials) stop working.
          </p>
          <CsrfInput token={csrf} />
          <button type="submit" class="secondary">
            Generate a new secret
          </button>
        </form>
      )}
    </Layout>
  )
}

export const renderApplicationDetail = (c: Context<AppEnv>, props: DetailProps, status: ContentfulStatusCode = 200) =>
  c.html(<ApplicationDetailPage {...props} />, status)
