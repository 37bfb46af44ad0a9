/** @module The sign-in page. */
import type { FC } from 'hono/jsx'
import type { Session } from '../session'
import { CsrfInput, Layout } from './layout'

type LoginProps = {
  session: Session | null
  csrfToken: string
  next: string
  username?: string
  error?: string
}

export const LoginPage: FC<LoginProps> = ({ session, csrfToken, next, username = '', error }) => (
  <Layout title="Sign in" session={session} nav="login" narrow>
    <h1>Sign in</h1>
    {next.startsWith('/o/authorize/') ? (
      <p class="lead">An application asks to use your account. Sign in to continue.</p>
    ) : (
      <p class="lead">Use the account an administrator created for you.</p>
    )}
    {session && (
      <div class="alert warn">
        You are signed in as <strong>{session.user.username}</strong>. Signing in again replaces that session.
      </div>
    )}
    <form class="card" method="post" action="/accounts/login/">
      {error && (
        <div class="alert error" role="alert" id="login-error">
          {error}
        </div>
      )}
      <label for="id_username">Username</label>
      <input
        type="text"
        id="id_username"
        name="username"
        value={username}
        autocomplete="username"
        autocapitalize="none"
        required
        autofocus
        maxlength={150}
        aria-describedby={error ? 'login-error' : undefined}
      />
      <label for="id_password">Password</label>
      <input type="password" id="id_password" name="password" autocomplete="current-password" required />
      <CsrfInput token={csrfToken} />
      <input type="hidden" name="next" value={next} />
      <div class="actions">
        <button type="submit">Sign in</button>
      </div>
    </form>
  </Layout>
)
