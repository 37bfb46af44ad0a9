/** @module Changing one's password: the form (Django's field names) and the page after it. */
import type { FC } from 'hono/jsx'
import type { Session } from '../session'
import { sessionCsrfToken } from '../csrf'
import { CsrfInput, Layout } from './layout'
import { Field, invalidAttrs } from './field'

export type PasswordChangeErrors = Partial<Record<'old_password' | 'new_password1' | 'new_password2', string[]>>

type Props = { session: Session; errors?: PasswordChangeErrors; alert?: string }

export const PasswordChangePage: FC<Props> = ({ session, errors = {}, alert }) => (
  <Layout title="Change password" session={session} narrow>
    <h1>Change password</h1>
    <p class="lead">
      Enter your current password, then the new one twice. Every other browser signed in as{' '}
      <strong>{session.user.username}</strong> is signed out.
    </p>
    <form class="card" method="post" action="/accounts/password_change/" novalidate>
      {(alert || Object.keys(errors).length > 0) && (
        <div class="alert error" role="alert">
          {alert ?? 'Please correct the errors below.'}
        </div>
      )}
      <input type="text" name="username" value={session.user.username} autocomplete="username" hidden />
      <Field id="id_old_password" label="Current password" errors={errors.old_password}>
        <input
          type="password"
          id="id_old_password"
          name="old_password"
          autocomplete="current-password"
          required
          autofocus
          {...invalidAttrs('id_old_password', errors.old_password)}
        />
      </Field>
      <Field
        id="id_new_password1"
        label="New password"
        hint="At least 8 characters, not only digits, not your username."
        errors={errors.new_password1}
      >
        <input
          type="password"
          id="id_new_password1"
          name="new_password1"
          autocomplete="new-password"
          required
          {...invalidAttrs('id_new_password1', errors.new_password1)}
        />
      </Field>
      <Field id="id_new_password2" label="New password again" errors={errors.new_password2}>
        <input
          type="password"
          id="id_new_password2"
          name="new_password2"
          autocomplete="new-password"
          required
          {...invalidAttrs('id_new_password2', errors.new_password2)}
        />
      </Field>
      <CsrfInput token={sessionCsrfToken(session)} />
      <div class="actions">
        <button type="submit">Change my password</button>
        <a class="button secondary" href="/">
          Cancel
        </a>
      </div>
    </form>
  </Layout>
)

export const PasswordChangeDonePage: FC<{ session: Session }> = ({ session }) => (
  <Layout title="Password changed" session={session} narrow>
    <h1>Password changed</h1>
    <div class="alert success" role="status">
      Your password was changed. Other browsers signed in to your account have been signed out; this one stays signed
      in.
    </div>
    <p>
      <a href="/">Back to the home page</a>
    </p>
  </Layout>
)
