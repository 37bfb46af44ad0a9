/** @module The home page: what this server is, who is signed in, and where everything is. */
import type { Context } from 'hono'
import type { FC } from 'hono/jsx'
import type { AppEnv } from '../../env'
import type { Session } from '../session'
import { sessionCsrfToken } from '../csrf'
import { CsrfInput, Layout } from './layout'

type HomeProps = { session: Session | null; issuer: string }

const ENDPOINTS: Array<[string, string]> = [
  ['/o/authorize/', 'Authorization endpoint (code flow with PKCE)'],
  ['/o/token/', 'Token endpoint'],
  ['/o/revoke_token/', 'Token revocation (RFC 7009)'],
  ['/o/introspect/', 'Token introspection (RFC 7662)'],
  ['/o/userinfo/', 'OpenID Connect UserInfo'],
  ['/users/', 'Users API (scopes read / write)'],
  ['/groups/', 'Groups API (scope groups)'],
]

const DISCOVERY: Array<[string, string]> = [
  ['/.well-known/oauth-authorization-server', 'Authorization server metadata (RFC 8414)'],
  ['/.well-known/openid-configuration', 'OpenID Provider configuration'],
  ['/o/.well-known/jwks.json', 'Signing keys (JWKS)'],
]

const LinkList: FC<{ links: Array<[string, string]>; clickable: boolean }> = ({ links, clickable }) => (
  <ul class="links">
    {links.map(([path, label]) => (
      <li>
        {clickable ? (
          <a href={path} class="mono">
            {path}
          </a>
        ) : (
          <span class="mono">{path}</span>
        )}
        <div class="muted small">{label}</div>
      </li>
    ))}
  </ul>
)

const HomePage: FC<HomeProps> = ({ session, issuer }) => (
  <Layout title="Home" session={session} nav="home">
    <h1>OAuth 2 authorization server</h1>
    <p class="lead">
      Issues tokens to registered applications and serves a users and groups API that accepts them. Issuer:{' '}
      <span class="mono">{issuer}</span>
    </p>
    {session ? (
      <div class="grid">
        <section class="card">
          <h2>Your applications</h2>
          <p class="muted small">Register clients, get their credentials, change their redirect URIs.</p>
          <a class="button" href="/o/applications/">
            Manage applications
          </a>
        </section>
        <section class="card">
          <h2>Authorized apps</h2>
          <p class="muted small">
            Applications you let use your account {session.user.username}. Withdraw access at any time.
          </p>
          <a class="button secondary" href="/o/authorized_tokens/">
            Review access
          </a>
        </section>
        <section class="card">
          <h2>Your account</h2>
          <p class="muted small">Change your password; every other browser signed in as you is signed out.</p>
          <a class="button secondary" href="/accounts/password_change/">
            Change password
          </a>
        </section>
      </div>
    ) : (
      <section class="card">
        <p>Sign in to register applications and manage what they may do with your account.</p>
        <a class="button" href="/accounts/login/">
          Sign in
        </a>
      </section>
    )}
    <div class="grid">
      <section class="card">
        <h2>Endpoints</h2>
        <LinkList links={ENDPOINTS} clickable={false} />
      </section>
      <section class="card">
        <h2>Discovery</h2>
        <LinkList links={DISCOVERY} clickable />
      </section>
    </div>
    {session && (
      <form class="card" method="post" action="/accounts/logout/">
        <h2>Sessions</h2>
        <p class="muted small">Signed in on another device you no longer use? End every session of your account.</p>
        <CsrfInput token={sessionCsrfToken(session)} />
        <input type="hidden" name="everywhere" value="1" />
        <button type="submit" class="secondary">
          Sign out everywhere
        </button>
      </form>
    )}
  </Layout>
)

export const renderHome = (c: Context<AppEnv>, props: HomeProps) => c.html(<HomePage {...props} />)
