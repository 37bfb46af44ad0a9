/**
 * @module Registering and editing an application: every field labelled, each error beside its
 * field. No "Skip authorization": only an administrator sets it (see ApplicationFields).
 */
import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../../../env'
import type { Session } from '../../session'
import { sessionCsrfToken } from '../../csrf'
import { CLIENT_TYPE_LABELS, type FieldErrors, GRANT_TYPE_LABELS } from '../../../oauth/application-form'
import type { ApplicationFields } from '../../../store/applications'
import { CsrfInput, Layout } from '../layout'
import { Field, invalidAttrs } from '../field'

type FormProps = {
  session: Session
  /** Where the form posts; also tells a new registration from an edit. */
  action: string
  values: Partial<ApplicationFields>
  errors?: FieldErrors
  cancel: string
}

const Select: FC<{ id: string; name: string; value?: string; options: Record<string, string>; invalid: boolean }> = (
  p,
) => (
  <select
    id={p.id}
    name={p.name}
    required
    aria-invalid={p.invalid ? 'true' : undefined}
    aria-describedby={p.invalid ? `${p.id}-error` : undefined}
  >
    {!p.value && <option value="">Choose…</option>}
    {Object.entries(p.options).map(([value, label]) => (
      <option value={value} selected={p.value === value}>
        {label}
      </option>
    ))}
  </select>
)

/** Each field's form name (the wire name DOT's form uses). */
const FIELD_NAMES: Record<keyof ApplicationFields, string> = {
  name: 'name',
  clientType: 'client_type',
  authorizationGrantType: 'authorization_grant_type',
  redirectUris: 'redirect_uris',
  allowedOrigins: 'allowed_origins',
}

const ApplicationFormPage: FC<FormProps> = ({ session, action, values, errors = {}, cancel }) => {
  const isNew = action.endsWith('/register/')
  const invalid = (k: keyof ApplicationFields) => invalidAttrs(`id_${FIELD_NAMES[k]}`, errors[k])
  return (
    <Layout
      title={isNew ? 'Register a new application' : `Edit ${values.name ?? 'application'}`}
      session={session}
      nav="applications"
    >
      <h1>{isNew ? 'Register a new application' : `Edit ${values.name}`}</h1>
      <form class="card" method="post" action={action} novalidate>
        {Object.keys(errors).length > 0 && (
          <div class="alert error" role="alert">
            Please correct the errors below.
          </div>
        )}
        <Field id="id_name" label="Name" errors={errors.name}>
          <input
            type="text"
            id="id_name"
            name="name"
            value={values.name ?? ''}
            maxlength={255}
            required
            {...invalid('name')}
          />
        </Field>
        <Field
          id="id_client_type"
          label="Client type"
          hint="Confidential clients keep a secret (a server); public ones cannot (a browser or mobile app)."
          errors={errors.clientType}
        >
          <Select
            id="id_client_type"
            name="client_type"
            value={values.clientType}
            options={CLIENT_TYPE_LABELS}
            invalid={!!errors.clientType}
          />
        </Field>
        <Field id="id_authorization_grant_type" label="Authorization grant type" errors={errors.authorizationGrantType}>
          <Select
            id="id_authorization_grant_type"
            name="authorization_grant_type"
            value={values.authorizationGrantType}
            options={GRANT_TYPE_LABELS}
            invalid={!!errors.authorizationGrantType}
          />
        </Field>
        <Field
          id="id_redirect_uris"
          label="Redirect URIs"
          hint="Space or line separated. https, or http on 127.0.0.1, [::1] or localhost. Needed for the authorization code grant."
          errors={errors.redirectUris}
        >
          <textarea id="id_redirect_uris" name="redirect_uris" rows={3} {...invalid('redirectUris')}>
            {values.redirectUris?.split(' ').join('\n') ?? ''}
          </textarea>
        </Field>
        <Field
          id="id_allowed_origins"
          label="Allowed origins"
          hint="Space or line separated origins (https://app.example) whose browser code may call the token endpoint and the API."
          errors={errors.allowedOrigins}
        >
          <textarea id="id_allowed_origins" name="allowed_origins" rows={2} {...invalid('allowedOrigins')}>
            {values.allowedOrigins?.split(' ').join('\n') ?? ''}
          </textarea>
        </Field>
        <CsrfInput token={sessionCsrfToken(session)} />
        <div class="actions">
          <button type="submit">{isNew ? 'Save' : 'Save changes'}</button>
          <a class="button secondary" href={cancel}>
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  )
}

export const renderApplicationForm = (c: Context<AppEnv>, props: FormProps, status: ContentfulStatusCode = 200) =>
  c.html(<ApplicationFormPage {...props} />, status)
