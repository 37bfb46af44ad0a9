/** @module The admin's application pages: every owner's applications, the add/change form with owner and skip_authorization. */
import type { FC } from 'hono/jsx'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import { CLIENT_TYPE_LABELS, GRANT_TYPE_LABELS } from '../../../oauth/application-form'
import type { Application } from '../../../store/applications'
import type { AdminLogEntry } from '../../../store/admin-log'
import { CsrfInput } from '../layout'
import { Field } from '../field'
import { AdminFrame, type AdminListProps, Check, History, Pager, Search } from './parts'
import type { FormErrors } from './users'

const APPS: [string, string] = ['/admin/oauth2_provider/application/', 'Applications']

type ListProps = AdminListProps<{ app: Application; ownerUsername: string | null }>

export const ApplicationAdminListPage: FC<ListProps> = ({ session, rows, total, page, query, notice }) => (
  <AdminFrame session={session} title="Applications" notice={notice}>
    <Search q={query.get('q') ?? ''} />
    <div class="card">
      <table class="list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Client id</th>
            <th>Owner</th>
            <th>Type</th>
            <th>Grant</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ app, ownerUsername }) => (
            <tr>
              <td>
                <a href={`/admin/oauth2_provider/application/${app.id}/change/`}>{app.name || app.clientId}</a>
              </td>
              <td class="mono small">{app.clientId}</td>
              <td>{ownerUsername ?? <span class="muted">none</span>}</td>
              <td>{CLIENT_TYPE_LABELS[app.clientType]}</td>
              <td>{GRANT_TYPE_LABELS[app.authorizationGrantType]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager total={total} page={page} query={query} />
      <div class="actions">
        <a class="button" href="/admin/oauth2_provider/application/add/">
          Add application
        </a>
      </div>
    </div>
  </AdminFrame>
)

/** The form's values, as the wire names carry them. */
export type ApplicationFormValues = {
  name: string
  client_type: string
  authorization_grant_type: string
  redirect_uris: string
  allowed_origins: string
  user: string
  skip_authorization: boolean
}

type FormProps = {
  session: Session
  app?: Application
  values: ApplicationFormValues
  users: Array<{ id: number; username: string }>
  errors?: FormErrors
  notice?: string
  /** The new secret, shown once (after the redirect that follows the POST). */
  secret?: string
  history?: AdminLogEntry[]
}

const Choice: FC<{ name: string; value: string; options: Record<string, string>; blank?: string }> = ({
  name,
  value,
  options,
  blank,
}) => (
  <select id={`id_${name}`} name={name}>
    {blank !== undefined && <option value="">{blank}</option>}
    {Object.entries(options).map(([v, label]) => (
      <option value={v} selected={v === value}>
        {label}
      </option>
    ))}
  </select>
)

export const ApplicationAdminFormPage: FC<FormProps> = ({
  session,
  app,
  values,
  users,
  errors = {},
  notice,
  secret,
  history,
}) => {
  const action = app
    ? `/admin/oauth2_provider/application/${app.id}/change/`
    : '/admin/oauth2_provider/application/add/'
  return (
    <AdminFrame
      session={session}
      title={app ? `Change application “${app.name || app.clientId}”` : 'Add application'}
      crumbs={[APPS]}
      notice={notice}
    >
      {secret && (
        <div class="alert warn" role="alert">
          <strong>Copy the client secret now.</strong> It is stored hashed and will not be shown again:{' '}
          <code id="client-secret">{secret}</code>
        </div>
      )}
      {app && (
        <p class="small">
          Client id: <code id="client-id">{app.clientId}</code>
        </p>
      )}
      <form class="card" method="post" action={action} novalidate>
        {Object.keys(errors).length > 0 && (
          <div class="alert error" role="alert">
            Please correct the errors below.
          </div>
        )}
        <Field id="id_name" label="Name" errors={errors.name}>
          <input type="text" id="id_name" name="name" value={values.name} maxlength={255} />
        </Field>
        <Field
          id="id_user"
          label="User"
          hint="The owner; none for an application only administrators manage."
          errors={errors.user}
        >
          <Choice
            name="user"
            value={values.user}
            options={Object.fromEntries(users.map((u) => [String(u.id), u.username]))}
            blank="(none)"
          />
        </Field>
        <Field id="id_client_type" label="Client type" errors={errors.clientType}>
          <Choice name="client_type" value={values.client_type} options={CLIENT_TYPE_LABELS} />
        </Field>
        <Field id="id_authorization_grant_type" label="Authorization grant type" errors={errors.authorizationGrantType}>
          <Choice name="authorization_grant_type" value={values.authorization_grant_type} options={GRANT_TYPE_LABELS} />
        </Field>
        <Field id="id_redirect_uris" label="Redirect URIs" hint="Space or line separated." errors={errors.redirectUris}>
          <textarea id="id_redirect_uris" name="redirect_uris" rows={3}>
            {values.redirect_uris.split(' ').join('\n')}
          </textarea>
        </Field>
        <Field
          id="id_allowed_origins"
          label="Allowed origins"
          hint="Space or line separated."
          errors={errors.allowedOrigins}
        >
          <textarea id="id_allowed_origins" name="allowed_origins" rows={2}>
            {values.allowed_origins.split(' ').join('\n')}
          </textarea>
        </Field>
        <Check
          name="skip_authorization"
          label="Skip authorization"
          checked={values.skip_authorization}
          hint="Users are not asked to consent. Set only here, by staff."
        />
        <CsrfInput token={sessionCsrfToken(session)} />
        <div class="actions">
          <button type="submit">Save</button>
          {app && (
            <a class="button danger" href={`/admin/oauth2_provider/application/${app.id}/delete/`}>
              Delete
            </a>
          )}
        </div>
      </form>
      {history && <History entries={history} />}
    </AdminFrame>
  )
}
